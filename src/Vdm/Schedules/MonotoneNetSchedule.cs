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

    /// <summary>
    /// Train the shape (u, c, v) to minimise the variance of the diffusion-loss estimate instead of the bound
    /// (VDM Appendix I.2): the model then routes γ(t) through <see cref="GammaAndDerivative"/> with a
    /// <see cref="ShapeGradientScale"/>. The endpoints (b, w) get the bound's gradient either way.
    /// </summary>
    public bool MinimiseVariance { get; set; }

    public override Tensor forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        return Gamma(ShapeOf(t)).MoveToOuterDisposeScope();
    }

    public override Tensor Derivative(Tensor t)
    {
        using var scope = NewDisposeScope();
        return (weight.abs().to(t.dtype) * ShapeSlope(t)).MoveToOuterDisposeScope();
    }

    /// <summary>γ_0 = b and γ_1 = b + |w| exactly (g(0) = 0, g(1) = 1): the shape has no part in the endpoints.</summary>
    public override Tensor Endpoints(Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var b = bias.to(dtype);
        var ends = cat([b, b + weight.abs().to(dtype)]);
        return (device is null ? ends : ends.to(device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// γ(t) and γ'(t) with the gradient that reaches the shape's parameters through g(t) and g'(t) multiplied by
    /// <paramref name="scale"/>'s per-example factors; b and w see the unscaled gradient. Same values as
    /// <see cref="forward"/> and <see cref="Derivative"/>.
    /// </summary>
    public (Tensor Gamma, Tensor Derivative) GammaAndDerivative(Tensor t, ShapeGradientScale scale)
    {
        using var scope = NewDisposeScope();
        var g = scale.Apply(ShapeOf(t));
        var slope = scale.Apply(ShapeSlope(t));
        var gamma = Gamma(g);
        var derivative = weight.abs().to(t.dtype) * slope;
        return (gamma.MoveToOuterDisposeScope(), derivative.MoveToOuterDisposeScope());
    }

    private Tensor Gamma(Tensor g) => bias.to(g.dtype) + weight.abs().to(g.dtype) * g;

    /// <summary>g(t) = (h(t) − h(0)) / (h(1) − h(0)).</summary>
    private Tensor ShapeOf(Tensor t)
    {
        var h0 = Shape(zeros(1, t.dtype, t.device));
        var h1 = Shape(ones(1, t.dtype, t.device));
        return (Shape(t) - h0) / (h1 - h0);
    }

    /// <summary>g'(t) = h'(t) / (h(1) − h(0)), h'(t) = 1 + (1/K) Σ |v_k| s_k (1 − s_k) |u_k| · 2, s_k = sigmoid(|u_k|(2t − 1) + c_k).</summary>
    private Tensor ShapeSlope(Tensor t)
    {
        var h0 = Shape(zeros(1, t.dtype, t.device));
        var h1 = Shape(ones(1, t.dtype, t.device));
        var s = nn.functional.sigmoid(Preactivation(t));
        var slope = (s * (1 - s) * (outer.abs() * inner.abs()).to(t.dtype)).mean([-1]) * 2 + 1;
        return slope / (h1 - h0);
    }

    private Tensor Preactivation(Tensor t) =>
        (t * 2 - 1).unsqueeze(-1) * inner.abs().to(t.dtype) + offset.to(t.dtype);

    private Tensor Shape(Tensor t) =>
        t + (nn.functional.sigmoid(Preactivation(t)) * outer.abs().to(t.dtype)).mean([-1]);
}
