using static TorchSharp.torch;

namespace Vdm.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature sets (the recipe of FID, Heusel et al. 2017):
/// d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½).
/// The trace of the matrix square root is the sum of the square roots of the eigenvalues of the symmetric positive
/// semi-definite Σ₁^½ Σ₂ Σ₁^½, which equals tr((Σ₁Σ₂)^½) without the non-symmetric square root FID code usually
/// takes. Everything runs in float64.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Mean [D] and covariance [D, D] (unbiased, divisor N − 1) of features [N, D], in float64.</summary>
    public static FeatureStatistics Statistics(Tensor features)
    {
        if (features.dim() != 2 || features.shape[0] < 2)
            throw new ArgumentException($"features must be [N, D] with N ≥ 2, got [{string.Join(", ", features.shape)}]", nameof(features));
        using var scope = NewDisposeScope();
        var f = features.to(float64);
        var mean = f.mean([0]);
        var centred = f - mean;
        var covariance = centred.T.matmul(centred) / (f.shape[0] - 1);
        return new FeatureStatistics(mean.MoveToOuterDisposeScope(), covariance.MoveToOuterDisposeScope(), f.shape[0]);
    }

    /// <summary>d² between the Gaussians fitted to two feature sets [N₁, D] and [N₂, D].</summary>
    public static double Compute(Tensor a, Tensor b)
    {
        using var first = Statistics(a);
        using var second = Statistics(b);
        return Compute(first, second);
    }

    /// <summary>d² between N(μ₁, Σ₁) and N(μ₂, Σ₂).</summary>
    public static double Compute(FeatureStatistics first, FeatureStatistics second)
    {
        if (!first.Mean.shape.SequenceEqual(second.Mean.shape))
            throw new ArgumentException($"feature sizes differ: {first.Mean.shape[0]} and {second.Mean.shape[0]}");
        using var scope = NewDisposeScope();
        var meanTerm = (first.Mean - second.Mean).square().sum().item<double>();
        var rootFirst = SymmetricSqrt(first.Covariance);
        var product = rootFirst.matmul(second.Covariance).matmul(rootFirst);
        var crossTrace = linalg.eigvalsh(0.5 * (product + product.T)).clamp_min(0).sqrt().sum().item<double>();
        var trace = first.Covariance.trace().item<double>() + second.Covariance.trace().item<double>() - 2 * crossTrace;
        // Rounding can leave a tiny negative value for identical sets; the distance itself is never negative.
        return Math.Max(0, meanTerm + trace);
    }

    /// <summary>The square root of a symmetric positive semi-definite matrix, V diag(√max(λ, 0)) Vᵀ.</summary>
    private static Tensor SymmetricSqrt(Tensor matrix)
    {
        var (values, vectors) = linalg.eigh(0.5 * (matrix + matrix.T));
        return vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.T);
    }
}

/// <summary>A feature set's mean [D], covariance [D, D] (float64) and size.</summary>
public sealed class FeatureStatistics(Tensor mean, Tensor covariance, long count) : IDisposable
{
    public Tensor Mean { get; } = mean.DetachFromDisposeScope();

    public Tensor Covariance { get; } = covariance.DetachFromDisposeScope();

    public long Count { get; } = count;

    public void Dispose()
    {
        Mean.Dispose();
        Covariance.Dispose();
    }
}
