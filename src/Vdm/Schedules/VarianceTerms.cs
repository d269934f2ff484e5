using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>
/// The variance-preserving quantities of the forward process as functions of γ, in forms that stay accurate
/// for large |γ| (sigmoid and log-sigmoid instead of 1 − x, expm1 instead of exp − 1).
/// </summary>
public static class VarianceTerms
{
    /// <summary>α² = sigmoid(−γ).</summary>
    public static Tensor Alpha2(Tensor gamma) => nn.functional.sigmoid(-gamma);

    /// <summary>σ² = sigmoid(γ).</summary>
    public static Tensor Sigma2(Tensor gamma) => nn.functional.sigmoid(gamma);

    /// <summary>α = sqrt(sigmoid(−γ)).</summary>
    public static Tensor Alpha(Tensor gamma) => nn.functional.sigmoid(-gamma).sqrt();

    /// <summary>σ = sqrt(sigmoid(γ)).</summary>
    public static Tensor Sigma(Tensor gamma) => nn.functional.sigmoid(gamma).sqrt();

    /// <summary>log α² = log sigmoid(−γ) = −softplus(γ).</summary>
    public static Tensor LogAlpha2(Tensor gamma) => -nn.functional.softplus(gamma);

    /// <summary>log σ² = log sigmoid(γ) = −softplus(−γ).</summary>
    public static Tensor LogSigma2(Tensor gamma) => -nn.functional.softplus(-gamma);

    /// <summary>SNR = α²/σ² = exp(−γ).</summary>
    public static Tensor Snr(Tensor gamma) => (-gamma).exp();

    /// <summary>Reshapes a per-example [B] tensor so it broadcasts against a [B, ...] tensor of rank <paramref name="rank"/>.</summary>
    public static Tensor PerExample(Tensor perExample, long rank)
    {
        var shape = new long[rank];
        Array.Fill(shape, 1L);
        shape[0] = perExample.shape[0];
        return perExample.reshape(shape);
    }
}
