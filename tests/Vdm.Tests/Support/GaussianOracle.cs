using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Tests.Support;

/// <summary>
/// The exact optimal denoiser for continuous data whose encoded values f are independent N(μ, s²) in every
/// dimension. With z_t = α f + σ ε, z_t is Gaussian with variance v = α² s² + σ² and Cov(ε, z_t) = σ, so
/// E[ε | z_t] = σ (z_t − α μ) / v and E[f | z_t] = μ + α s² (z_t − α μ) / v: both linear in z_t, which gives every
/// sampler step and every marginal a closed form (the scalar helpers below, written in doubles).
/// </summary>
internal sealed class GaussianOracle(double mean, double std) : Denoiser(nameof(GaussianOracle))
{
    public double Mean { get; } = mean;

    public double Std { get; } = std;

    public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma.to(ScalarType.Float64), z.dim());
        var alpha2 = VarianceTerms.Alpha2(g);
        var variance = alpha2 * (Std * Std) + VarianceTerms.Sigma2(g);
        var eps = VarianceTerms.Sigma(g) * (z.to(ScalarType.Float64) - alpha2.sqrt() * Mean) / variance;
        return eps.to(z.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>α²(γ) = sigmoid(−γ), in doubles.</summary>
    public static double Alpha2(double gamma) => 1 / (1 + Math.Exp(gamma));

    /// <summary>σ²(γ) = sigmoid(γ), in doubles.</summary>
    public static double Sigma2(double gamma) => 1 / (1 + Math.Exp(-gamma));

    /// <summary>E[f | z_t] at log-SNR −γ.</summary>
    public double PosteriorMean(double z, double gamma)
    {
        double alpha = Math.Sqrt(Alpha2(gamma));
        return Mean + alpha * Std * Std * (z - alpha * Mean) / (alpha * alpha * Std * Std + Sigma2(gamma));
    }

    /// <summary>E[ε | z_t] at log-SNR −γ.</summary>
    public double EpsMean(double z, double gamma)
    {
        double alpha2 = Alpha2(gamma);
        return Math.Sqrt(Sigma2(gamma)) * (z - Math.Sqrt(alpha2) * Mean) / (alpha2 * Std * Std + Sigma2(gamma));
    }
}
