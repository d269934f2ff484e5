using Vdm.Evaluation;
using Xunit;

namespace Vdm.Tests.Evaluation;

/// <summary><see cref="ClassMixture"/> against exact mixtures of known discrete densities.</summary>
public class ClassMixtureTests
{
    /// <summary>For K class densities over a few points, −log₂ of the exact uniform mixture never exceeds the bound
    /// from the true class, and equals it where only that class puts mass on the point.</summary>
    [Fact]
    public void TheBoundHoldsForExactMixturesAndIsTightWhenTheClassesDoNotOverlap()
    {
        const int classes = 4, dims = 3;
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var p = Enumerable.Range(0, classes).Select(_ => random.NextDouble()).ToArray();
            for (int y = 0; y < classes; y++)
            {
                double mixture = p.Sum() / classes;
                double exactBitsPerDim = -Math.Log2(mixture) / dims;
                double conditionalBitsPerDim = -Math.Log2(p[y]) / dims;
                Assert.True(exactBitsPerDim <= ClassMixture.BitsPerDim(conditionalBitsPerDim, classes, dims) + 1e-12);
            }
        }
        double alone = 0.3; // every other class gives the point zero mass: p(x) = 0.3 / K exactly
        Assert.Equal(-Math.Log2(alone / classes) / dims, ClassMixture.BitsPerDim(-Math.Log2(alone) / dims, classes, dims), 12);
        Assert.Equal(1.0 + Math.Log2(10) / 784, ClassMixture.BitsPerDim(1.0, 10, 784), 12); // 0.0042 for MNIST's 10 digits
        var digits = new Vdm.Networks.ModelConfig { DataShape = [1, 28, 28], NumClasses = 10 };
        Assert.Equal(1.0 + Math.Log2(10) / 784, ClassMixture.BitsPerDim(1.0, digits)!.Value, 12);
        Assert.Null(ClassMixture.BitsPerDim(1.0, digits with { NumClasses = 0 })); // unconditional: no mixture
    }
}
