using Vdm.Data;
using Vdm.Evaluation;
using Vdm.Persistence;
using Vdm.Tests.Data;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Evaluation;

/// <summary>Trains the MNIST classifier once (the default recipe, about a minute or two on 2 cores) for the tests below.</summary>
public sealed class MnistClassifierFixture : IDisposable
{
    private readonly TempFolder cache = new();

    public MnistClassifierFixture()
    {
        var tarball = Environment.GetEnvironmentVariable(RealMnistFactAttribute.Variable);
        if (string.IsNullOrEmpty(tarball) || !File.Exists(tarball)) return;
        Train = NpmMnistTarball.Load(tarball, "train");
        Test = NpmMnistTarball.Load(tarball, "test");
        (Classifier, Info) = ClassifierStore.LoadOrTrain(Train, Test, cache.Path);
    }

    public string CacheRoot => cache.Path;

    public Dataset? Train { get; }

    public Dataset? Test { get; }

    public DatasetClassifier? Classifier { get; }

    public ClassifierInfo? Info { get; }

    public void Dispose()
    {
        Classifier?.Dispose();
        Train?.Dispose();
        Test?.Dispose();
        cache.Dispose();
    }
}

[Trait("Category", "RealData")]
public class SampleQualityTests(MnistClassifierFixture fixture) : IClassFixture<MnistClassifierFixture>
{
    private const int N = 1000;

    [RealMnistFact]
    public void TheClassifierReadsMnistTestDigitsAtLeast99PercentRight()
    {
        Assert.True(fixture.Info!.TestAccuracy >= 0.99, $"test accuracy {fixture.Info.TestAccuracy:P2}");
        Assert.Equal(10_000, fixture.Info.TestExamples);
    }

    [RealMnistFact]
    public void ASecondCallLoadsTheCachedClassifierWithTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        var (again, info) = ClassifierStore.LoadOrTrain(fixture.Train!, fixture.Test!, fixture.CacheRoot);
        using (again)
        {
            Assert.Equal(fixture.Info, info);
            var batch = fixture.Test!.Images.narrow(0, 0, 64);
            Assert.True(fixture.Classifier!.Describe(batch).Features.Equals(again.Describe(batch).Features));
        }
    }

    [RealMnistFact]
    public void RealDigitsScoreFarBetterThanNoiseAndBlurredDigits()
    {
        using var scope = NewDisposeScope();
        var test = fixture.Test!;
        var classifier = fixture.Classifier!;
        var real = SampleQuality.Score(classifier, test.Images.narrow(0, N, N), test, fixture.Info!.TestAccuracy);

        using var generator = new Generator(3);
        var noise = randint(0, 256, [N, 1, 28, 28], generator: generator).to(ScalarType.Byte);
        var noisy = SampleQuality.Score(classifier, noise, test, fixture.Info.TestAccuracy);

        // Blurred digits: a 4×4 box average brought back to 28×28, the strokes still there but soft.
        var digits = test.Images.narrow(0, 2 * N, N).to(float32);
        var blurred = nn.functional.interpolate(nn.functional.avg_pool2d(digits, 4), [28, 28], mode: InterpolationMode.Bilinear, align_corners: false)
            .round().clamp(0, 255).to(ScalarType.Byte);
        var soft = SampleQuality.Score(classifier, blurred, test, fixture.Info.TestAccuracy);

        // Measured with the default recipe (99.28% test accuracy), N = 1,000: real digits FD 14.65, confidence 0.988,
        // class entropy 3.319 bits; noise FD 1536, confidence 0.546; 4×4-blurred digits FD 1560, confidence 0.518.
        // The bounds leave a factor of 2 on the real digits' FD and require noise and blur to be 10× farther away.
        Assert.True(real.Samples.FrechetDistance < 30, $"real digits: FD {real.Samples.FrechetDistance:F2}");
        Assert.True(real.Samples.MeanConfidence > 0.97, $"real digits: confidence {real.Samples.MeanConfidence:F3}");
        Assert.True(real.Samples.ClassEntropyBits > 3.2, $"real digits: class entropy {real.Samples.ClassEntropyBits:F3} bits");
        Assert.Equal(real.RealImages, noisy.RealImages); // the floor does not depend on what is scored
        Assert.True(noisy.Samples.FrechetDistance > 10 * real.Samples.FrechetDistance, $"noise FD {noisy.Samples.FrechetDistance:F1} vs real {real.Samples.FrechetDistance:F2}");
        Assert.True(soft.Samples.FrechetDistance > 10 * real.Samples.FrechetDistance, $"blurred FD {soft.Samples.FrechetDistance:F1} vs real {real.Samples.FrechetDistance:F2}");
        Assert.True(noisy.Samples.MeanConfidence < real.Samples.MeanConfidence - 0.1 || noisy.Samples.ClassEntropyBits < 2,
            $"noise reads as digits: confidence {noisy.Samples.MeanConfidence:F3}, entropy {noisy.Samples.ClassEntropyBits:F2}");
    }

    [RealMnistFact]
    public void PerClassFiguresReadDigitsArrangedAsDrawsForTheirOwnClassAndNotForAnother()
    {
        using var scope = NewDisposeScope();
        var test = fixture.Test!;
        var labels = test.Labels!;
        // 50 test digits of each class, interleaved so that image i shows digit i mod 10 (as Draw's samples are
        // drawn), and the same digits moved on by one so that image i shows digit (i + 1) mod 10.
        var byClass = Enumerable.Range(0, 10).Select(k => labels.eq(k).nonzero().flatten().narrow(0, 0, 50)).ToArray();
        var ordered = stack(byClass, 1).flatten();                                    // [50 × 10]: row-major i ↦ class i mod 10
        var shifted = stack([.. byClass.Skip(1), byClass[0]], 1).flatten();
        var own = SampleQuality.Score(fixture.Classifier!, test.Images.index_select(0, ordered), test, fixture.Info!.TestAccuracy, drawnForClasses: 10);
        var other = SampleQuality.Score(fixture.Classifier!, test.Images.index_select(0, shifted), test, fixture.Info.TestAccuracy, drawnForClasses: 10);

        Assert.Equal(10, own.PerClass!.Count);
        Assert.All(own.PerClass, c => Assert.Equal(50, c.Samples.Count));
        Assert.Equal(500, own.PerClass.Sum(c => c.RealImages.Count)); // the first 500 test images, by their own labels
        // The classifier reads 99% of test digits right: the arranged digits agree with their intended class about as
        // often, and the digits moved on by one almost never do; the real images' figures do not depend on either.
        Assert.True(own.Agreement!.Value.Samples > 0.97, $"own classes: {own.Agreement.Value.Samples:P1}");
        Assert.True(other.Agreement!.Value.Samples < 0.03, $"moved on by one: {other.Agreement.Value.Samples:P1}");
        Assert.True(own.Agreement.Value.RealImages > 0.97, $"real images: {own.Agreement.Value.RealImages:P1}");
        Assert.Equal(own.Agreement.Value.RealImages, other.Agreement.Value.RealImages);
        Assert.Equal(own.Samples.MeanConfidence, other.Samples.MeanConfidence, 9); // the same images, another order
        Assert.Null(SampleQuality.Score(fixture.Classifier!, test.Images.index_select(0, ordered), test, fixture.Info.TestAccuracy).PerClass);
    }

    [Fact]
    public void TheCountMustLeaveAReferenceSetAsLargeAsItself()
    {
        SampleQuality.CheckCount(5000, 10_000);
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleQuality.CheckCount(5001, 10_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleQuality.CheckCount(1, 10_000));
    }
}
