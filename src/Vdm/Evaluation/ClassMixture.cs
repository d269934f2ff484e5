namespace Vdm.Evaluation;

/// <summary>
/// A class-conditional model is evaluated on the bound of −log p(x | y) with each test image's own label. The same
/// model defines the class mixture p(x) = Σ_y p(x | y)/K (labels uniform over the K classes), the density a published
/// unconditional likelihood is compared with. Since every term of the sum is positive, p(x) ≥ p(x | y)/K for the true
/// y, so −log₂ p(x) ≤ −log₂ p(x | y) + log₂ K: per dimension the mixture's bound is the conditional one plus log₂ K / D
/// (0.0042 bits/dim for 10 classes of 28×28 images).
/// </summary>
public static class ClassMixture
{
    /// <summary>The bound in bits/dim on −log p(x) of the uniform class mixture, from the conditional bound in bits/dim.</summary>
    public static double BitsPerDim(double conditionalBitsPerDim, int classes, long dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1L);
        return conditionalBitsPerDim + Math.Log2(classes) / dimensions;
    }

    /// <summary>The mixture's bound for a class-conditional <paramref name="model"/>; null for an unconditional one.</summary>
    public static double? BitsPerDim(double conditionalBitsPerDim, Networks.ModelConfig model) =>
        model.NumClasses > 0
            ? BitsPerDim(conditionalBitsPerDim, model.NumClasses, model.DataShape.Aggregate(1L, (a, b) => a * b))
            : null;
}
