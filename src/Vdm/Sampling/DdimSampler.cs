using Vdm.Diffusion;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>
/// Deterministic DDIM sampler (Song et al., 2021, η = 0): x̂ = (z_t − σ_t ε̂)/α_t, then z_s = α_s x̂ + σ_s ε̂.
/// Good samples in far fewer steps than the ancestral sampler; only the start z_1 and the decoder are random.
/// </summary>
public static class DdimSampler
{
    public static Tensor Sample(VariationalDiffusionModel model, long[] dataShape, int count, SamplerOptions options,
        Tensor? labels = null, SamplerObserver? observer = null)
    {
        return SamplingLoop.Run(model, dataShape, count, options, labels, observer, Step);
    }

    private static Tensor Step(VariationalDiffusionModel model, Tensor z, Tensor gammaT, Tensor gammaS, Tensor epsHat, SampleNoise noise)
    {
        using var scope = NewDisposeScope();
        var xHat = Parameterization.ToXHat(epsHat, z, gammaT).clamp(-1.0, 1.0);
        var gt = VarianceTerms.PerExample(gammaT, z.dim());
        var gs = VarianceTerms.PerExample(gammaS, z.dim());
        // Recompute ε̂ from the clipped x̂ so that z_t = α_t x̂ + σ_t ε̂ still holds.
        var eps = (z - VarianceTerms.Alpha(gt) * xHat) / VarianceTerms.Sigma(gt);
        return (VarianceTerms.Alpha(gs) * xHat + VarianceTerms.Sigma(gs) * eps).MoveToOuterDisposeScope();
    }
}
