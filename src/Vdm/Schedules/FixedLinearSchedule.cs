using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>γ(t) = γ_min + (γ_max − γ_min) t, fixed.</summary>
public sealed class FixedLinearSchedule : NoiseSchedule
{
    public FixedLinearSchedule(double gammaMin = -13.3, double gammaMax = 5.0) : base(nameof(FixedLinearSchedule))
    {
        GammaRange.Check(gammaMin, gammaMax);
        GammaMin = gammaMin;
        GammaMax = gammaMax;
    }

    public double GammaMin { get; }

    public double GammaMax { get; }

    public override Tensor forward(Tensor t) => t * (GammaMax - GammaMin) + GammaMin;

    public override Tensor Derivative(Tensor t) => full_like(t, GammaMax - GammaMin);
}
