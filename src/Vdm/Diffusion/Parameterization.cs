using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>Converts a network's raw prediction (ε, x or v) to ε̂, given z_t and γ_t (z = α x + σ ε).</summary>
public static class Parameterization
{
    public static Tensor ToEpsHat(Prediction prediction, Tensor raw, Tensor z, Tensor gamma)
    {
        if (prediction == Prediction.Eps) return raw.alias();
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma, z.dim());
        var alpha = VarianceTerms.Alpha(g);
        var sigma = VarianceTerms.Sigma(g);
        var eps = prediction switch
        {
            Prediction.X => (z - alpha * raw) / sigma,  // ε̂ = (z − α x̂)/σ
            Prediction.V => sigma * z + alpha * raw,    // v = α ε − σ x  ⇒  ε = σ z + α v
            _ => throw new ArgumentOutOfRangeException(nameof(prediction)),
        };
        return eps.MoveToOuterDisposeScope();
    }

    /// <summary>x̂ = (z − σ ε̂)/α, from z = α x + σ ε (VDM eq. 1).</summary>
    public static Tensor ToXHat(Tensor epsHat, Tensor z, Tensor gamma)
    {
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma, z.dim());
        return ((z - VarianceTerms.Sigma(g) * epsHat) / VarianceTerms.Alpha(g)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ε̂ recomputed from x̂ clipped to the data's range [−1, 1] (ForwardProcess.Encode's values lie inside it), so that
    /// z = α x̂ + σ ε̂ still holds: the samplers' "clip the denoised image". The exact model's x̂ = E[x | z_t] already lies
    /// in the range; a guided ε̂ ((1 + w) ε̂_y − w ε̂_∅) overshoots it, most at large t, and the clip stops the overshoot
    /// from carrying into z_s.
    /// </summary>
    public static Tensor ClipToData(Tensor epsHat, Tensor z, Tensor gamma)
    {
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma, z.dim());
        var xHat = ToXHat(epsHat, z, gamma).clamp(-1.0, 1.0);
        return ((z - VarianceTerms.Alpha(g) * xHat) / VarianceTerms.Sigma(g)).MoveToOuterDisposeScope();
    }
}
