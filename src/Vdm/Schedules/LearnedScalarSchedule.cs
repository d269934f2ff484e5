using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>γ(t) = b + |w| t, initialised to the linear schedule; both endpoints are learned by the bound.</summary>
public sealed class LearnedScalarSchedule : NoiseSchedule
{
    private readonly Parameter bias;
    private readonly Parameter weight;

    public LearnedScalarSchedule(double gammaMin = -13.3, double gammaMax = 5.0) : base(nameof(LearnedScalarSchedule))
    {
        GammaRange.Check(gammaMin, gammaMax);
        bias = nn.Parameter(tensor(new[] { (float)gammaMin }));
        weight = nn.Parameter(tensor(new[] { (float)(gammaMax - gammaMin) }));
        RegisterComponents();
    }

    public override Tensor forward(Tensor t) => bias.to(t.dtype) + weight.abs().to(t.dtype) * t;

    public override Tensor Derivative(Tensor t) => weight.abs().to(t.dtype).expand_as(t);
}
