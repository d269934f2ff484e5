using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>Small input/output conventions shared by every <see cref="Denoiser"/>.</summary>
internal static class DenoiserInputs
{
    /// <summary>γ_t as a [B] tensor in z's dtype: a scalar or [1] is broadcast over the batch.</summary>
    public static Tensor BatchGamma(Tensor gamma, Tensor z)
    {
        var batch = z.shape[0];
        if (gamma.dim() == 0 || (gamma.dim() == 1 && gamma.shape[0] == 1))
            return gamma.reshape(1).expand(batch).to(z.dtype);
        if (gamma.dim() == 1 && gamma.shape[0] == batch) return gamma.to(z.dtype);
        throw new ArgumentException($"gamma must be a scalar or [B] with B = {batch}, got [{string.Join(", ", gamma.shape)}]");
    }

    /// <summary>The raw output: ε̂ = z + h for ε-prediction (so a zero-initialised head predicts ε̂ = z, the
    /// VDM code's "base measure"), h itself for x- or v-prediction.</summary>
    public static Tensor Output(Tensor z, Tensor h, Prediction prediction) =>
        prediction == Prediction.Eps ? z + h : h;
}
