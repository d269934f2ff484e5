using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>
/// The paper's learned monotone schedule ("NNet", VDM Appendix H.1), written as learned endpoints times a learned
/// monotone shape so that the two can be told apart (Appendix I.2: the endpoints set the continuous-time bound,
/// the shape only its variance):
///   γ(t) = b + |w| g(t),   g(t) = (h(t) − h(0)) / (h(1) − h(0)),
///   h(t) = t + (1/K) Σ_k |v_k| sigmoid(|u_k| (2t − 1) + c_k).
/// Every weight enters through its absolute value, so h, g and γ are increasing in t by construction.
/// The mixing weights v start small, so γ starts within 1e-3 of the linear schedule.
/// </summary>
public sealed class MonotoneNetSchedule : NoiseSchedule
{
    private readonly Parameter bias;
    private readonly Parameter weight;
    private readonly Parameter inner;   // u: [K]
    private readonly Parameter offset;  // c: [K]
    private readonly Parameter outer;   // v: [K]

    public MonotoneNetSchedule(double gammaMin = -13.3, double gammaMax = 5.0, int features = 1024, long seed = 0)
        : base(nameof(MonotoneNetSchedule))
    {
        GammaRange.Check(gammaMin, gammaMax);
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, "need at least one feature");
        using var generator = new Generator((ulong)seed);
        bias = nn.Parameter(tensor(new[] { (float)gammaMin }));
        weight = nn.Parameter(tensor(new[] { (float)(gammaMax - gammaMin) }));
        inner = nn.Parameter(randn(features, generator: generator) * 3.0f);
        offset = nn.Parameter(rand(features, generator: generator) * 6.0f - 3.0f);
        outer = nn.Parameter(rand(features, generator: generator) * 1e-3f);
        RegisterComponents();
    }

    public override Tensor forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        var h = Shape(t);
        var h0 = Shape(zeros(1, t.dtype, t.device));
        var h1 = Shape(ones(1, t.dtype, t.device));
        var g = (h - h0) / (h1 - h0);
        return (bias.to(t.dtype) + weight.abs().to(t.dtype) * g).MoveToOuterDisposeScope();
    }

    public override Tensor Derivative(Tensor t)
    {
        using var scope = NewDisposeScope();
        var h0 = Shape(zeros(1, t.dtype, t.device));
        var h1 = Shape(ones(1, t.dtype, t.device));
        // dh/dt = 1 + (1/K) Σ |v_k| s_k (1 − s_k) |u_k| · 2, with s_k = sigmoid(|u_k|(2t − 1) + c_k).
        var s = nn.functional.sigmoid(Preactivation(t));
        var slope = (s * (1 - s) * (outer.abs() * inner.abs()).to(t.dtype)).mean([-1]) * 2 + 1;
        return (weight.abs().to(t.dtype) * slope / (h1 - h0)).MoveToOuterDisposeScope();
    }

    private Tensor Preactivation(Tensor t) =>
        (t * 2 - 1).unsqueeze(-1) * inner.abs().to(t.dtype) + offset.to(t.dtype);

    private Tensor Shape(Tensor t) =>
        t + (nn.functional.sigmoid(Preactivation(t)) * outer.abs().to(t.dtype)).mean([-1]);
}
