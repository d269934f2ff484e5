using Vdm.Diffusion;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>
/// VDM's ancestral sampler over T equal steps, drawing z_s ~ p(z_s | z_t) = q(z_s | z_t, x = x̂(z_t; t)) (VDM eq. 32):
/// with c = −expm1(γ_s − γ_t),  z_s = sqrt(α²_s/α²_t) (z_t − σ_t c ε̂) + sqrt(σ²_s c) ε'.
/// By default ε̂ is the one implied by x̂ clipped to the data's range (<see cref="SamplerOptions.ClipDenoised"/>),
/// which moves the step's mean, not its variance.
/// </summary>
public static class AncestralSampler
{
    /// <summary>Draws <paramref name="count"/> samples as integers in 0..V−1, shaped [count, ...dataShape].</summary>
    public static Tensor Sample(VariationalDiffusionModel model, long[] dataShape, int count, SamplerOptions options,
        Tensor? labels = null, SamplerObserver? observer = null)
    {
        return SamplingLoop.Run(model, dataShape, count, options, labels, observer, Step);
    }

    private static Tensor Step(VariationalDiffusionModel model, Tensor z, Tensor gammaT, Tensor gammaS, Tensor epsHat, SampleNoise noise)
    {
        using var scope = NewDisposeScope();
        var gt = VarianceTerms.PerExample(gammaT, z.dim());
        var gs = VarianceTerms.PerExample(gammaS, z.dim());
        var c = -(gs - gt).expm1();
        var meanScale = (VarianceTerms.Alpha2(gs) / VarianceTerms.Alpha2(gt)).sqrt();
        var mean = meanScale * (z - VarianceTerms.Sigma(gt) * c * epsHat);
        var std = (VarianceTerms.Sigma2(gs) * c).sqrt();
        var fresh = noise.Next(z.shape.Skip(1).ToArray(), z.dtype, z.device);
        return (mean + std * fresh).MoveToOuterDisposeScope();
    }
}
