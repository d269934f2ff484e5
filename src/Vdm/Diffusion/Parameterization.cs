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
}
