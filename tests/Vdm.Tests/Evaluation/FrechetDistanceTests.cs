using Vdm.Data;
using Vdm.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Evaluation;

/// <summary>The Fréchet distance against closed forms: d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½).</summary>
public class FrechetDistanceTests
{
    [Fact]
    public void ASetAgainstItselfIsZero()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        var features = randn([500, 16], generator: generator) * 3 + 1;
        // Rounding only: the covariance's eigenvalues are O(9), so float64 leaves ~1e-12 of them.
        Assert.InRange(FrechetDistance.Compute(features, features), 0, 1e-9);
    }

    [Fact]
    public void DiagonalCovariancesGiveTheSumOfSquaredRootDifferences()
    {
        // Commuting Σ₁ = diag(a), Σ₂ = diag(b): tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) = Σᵢ (√aᵢ − √bᵢ)².
        using var scope = NewDisposeScope();
        double[] a = [1, 4, 0.25], b = [9, 1, 0.25];
        double[] m1 = [0, 1, 2], m2 = [1, -1, 2];
        using var first = new FeatureStatistics(tensor(m1), diag(tensor(a)), 100);
        using var second = new FeatureStatistics(tensor(m2), diag(tensor(b)), 100);
        double expected = m1.Zip(m2, (x, y) => (x - y) * (x - y)).Sum() + a.Zip(b, (x, y) => Math.Pow(Math.Sqrt(x) - Math.Sqrt(y), 2)).Sum();
        Assert.Equal(expected, FrechetDistance.Compute(first, second), 10);
    }

    [Fact]
    public void NonCommutingTwoByTwoCovariancesMatchTheTraceFormula()
    {
        // For 2×2 M = Σ₁Σ₂ (similar to a PSD matrix, eigenvalues λ₁, λ₂ ≥ 0): tr M^½ = √λ₁ + √λ₂ = √(tr M + 2√det M).
        using var scope = NewDisposeScope();
        double[,] s1 = { { 2.0, 0.7 }, { 0.7, 1.0 } }, s2 = { { 0.5, -0.3 }, { -0.3, 3.0 } };
        double m00 = s1[0, 0] * s2[0, 0] + s1[0, 1] * s2[1, 0], m11 = s1[1, 0] * s2[0, 1] + s1[1, 1] * s2[1, 1];
        double det = (s1[0, 0] * s1[1, 1] - s1[0, 1] * s1[1, 0]) * (s2[0, 0] * s2[1, 1] - s2[0, 1] * s2[1, 0]);
        double crossTrace = Math.Sqrt(m00 + m11 + 2 * Math.Sqrt(det));
        double expected = 0.5 * 0.5 + (s1[0, 0] + s1[1, 1] + s2[0, 0] + s2[1, 1] - 2 * crossTrace);
        using var first = new FeatureStatistics(tensor(new[] { 0.0, 0.0 }), tensor(s1), 100);
        using var second = new FeatureStatistics(tensor(new[] { 0.5, 0.0 }), tensor(s2), 100);
        Assert.Equal(expected, FrechetDistance.Compute(first, second), 10);
    }

    [Fact]
    public void SamplesOfAShiftedGaussianGiveTheSquaredShift()
    {
        // N(0, I₄) against N(μ, I₄), ‖μ‖² = 1, N = 20,000 each: the estimate is ‖μ‖² + O(D/N) bias, and the mean
        // term's standard deviation is about 2‖μ‖√(2/N) = 0.02; 0.08 is four of them.
        using var scope = NewDisposeScope();
        using var generator = new Generator(2);
        var shift = tensor(new[] { 0.6f, 0.8f, 0f, 0f });
        var a = randn([20_000, 4], generator: generator);
        var b = randn([20_000, 4], generator: generator) + shift;
        Assert.Equal(1.0, FrechetDistance.Compute(a, b), 0.08);
        // And a scaled one: N(0, 4 I₄) against N(0, I₄) gives D (2 − 1)² = 4.
        Assert.Equal(4.0, FrechetDistance.Compute(a * 2, randn([20_000, 4], generator: generator)), 0.3);
    }

    [Fact]
    public void StatisticsAreTheUnbiasedMeanAndCovariance()
    {
        using var scope = NewDisposeScope();
        var features = tensor(new double[,] { { 1, 2 }, { 3, 6 }, { 5, 4 } });
        using var stats = FrechetDistance.Statistics(features);
        Assert.Equal(new[] { 3.0, 4.0 }, stats.Mean.data<double>().ToArray());
        // Deviations (−2, −2), (0, 2), (2, 0): covariance [[8, 4], [4, 8]] / 2.
        Assert.Equal(new[] { 4.0, 2.0, 2.0, 4.0 }, stats.Covariance.data<double>().ToArray());
    }
}

/// <summary>The classifier cache: a damaged entry is a cache miss, never a crash.</summary>
public class ClassifierStoreTests
{
    [Theory]
    [InlineData("info")]
    [InlineData("weights")]
    public void ADamagedCacheEntryIsRetrainedAndReplaced(string damaged)
    {
        using var scope = NewDisposeScope();
        using var temp = new Vdm.Tests.Data.TempFolder();
        using var generator = new Generator(4);
        var labels = arange(40, ScalarType.Int64) % 4;
        using var train = new Vdm.Data.Dataset(randint(0, 256, [40, 1, 8, 8], generator: generator).to(ScalarType.Byte), labels, 4, 256, "tiny", "train", "test");
        using var test = new Vdm.Data.Dataset(randint(0, 256, [8, 1, 8, 8], generator: generator).to(ScalarType.Byte), arange(8, ScalarType.Int64) % 4, 4, 256, "tiny", "test", "test");
        var recipe = new ClassifierRecipe { Epochs = 1, BatchSize = 8 };
        var (first, _) = ClassifierStore.LoadOrTrain(train, test, temp.Path, recipe);
        first.Dispose();
        var folder = Path.Combine(temp.Path, ClassifierStore.FolderName);
        var file = Directory.GetFiles(folder, damaged == "info" ? "*.json" : "*.bin").Single();
        File.WriteAllText(file, "{ torn");

        var messages = new List<string>();
        var (second, info) = ClassifierStore.LoadOrTrain(train, test, temp.Path, recipe, messages.Add);
        using (second)
        {
            Assert.Contains(messages, m => m.Contains("unreadable", StringComparison.Ordinal));
            Assert.Equal(recipe, info.Recipe);
            Assert.NotEqual("{ torn", File.ReadAllText(file)[..Math.Min(6, File.ReadAllText(file).Length)]); // replaced
        }
    }
}
