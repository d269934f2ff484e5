using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Sampling;
using static TorchSharp.torch;

namespace Vdm.Evaluation;

/// <summary>How a set of images reads to the dataset's classifier (<see cref="DatasetClassifier"/>).</summary>
/// <param name="FrechetDistance">Fréchet distance between the images' classifier features and those of the reference
/// test images (not Inception FID: the features are the dataset classifier's).</param>
/// <param name="MeanConfidence">Mean over images of the classifier's largest class probability.</param>
/// <param name="ConfidentShare">Share of images whose largest class probability exceeds 0.9.</param>
/// <param name="ClassEntropyBits">Entropy of the histogram of predicted classes, in bits (log₂ K at most).</param>
public sealed record QualityFigures(double FrechetDistance, double MeanConfidence, double ConfidentShare, double ClassEntropyBits);

/// <summary>How the classifier reads the images meant to show one class.</summary>
/// <param name="Count">Images meant to show the class.</param>
/// <param name="MeanConfidence">Mean over those images of the classifier's largest class probability.</param>
/// <param name="Agreement">Share of those images the classifier assigns to the class they were meant to show.</param>
public sealed record ClassFigures(int Count, double MeanConfidence, double Agreement);

/// <summary>One class of a class-conditional model: its samples beside the real test images of that class.</summary>
public sealed record ClassReading(int Label, ClassFigures Samples, ClassFigures RealImages);

/// <summary>The metric for N samples, and the same metric for N real test images as the floor beside it.</summary>
public sealed record SampleQualityResult(int Count, QualityFigures Samples, QualityFigures RealImages, double ClassifierAccuracy, long ReferenceImages)
{
    /// <summary>The name under which the figures are reported: honest about the feature network.</summary>
    public const string MetricName = "classifier Fréchet distance (the dataset's own CNN features, not Inception FID)";

    /// <summary>For samples drawn for given classes (a class-conditional model), each class's figures beside the real
    /// test images of that class; null for an unconditional model. Says which classes hold a low mean confidence.</summary>
    public IReadOnlyList<ClassReading>? PerClass { get; init; }

    /// <summary>Share of all samples the classifier reads as the class they were drawn for (null when unconditional);
    /// the real images' share is the classifier's accuracy on them.</summary>
    public (double Samples, double RealImages)? Agreement => PerClass is null ? null
        : (Weighted(PerClass.Select(c => c.Samples)), Weighted(PerClass.Select(c => c.RealImages)));

    private static double Weighted(IEnumerable<ClassFigures> classes)
    {
        var list = classes.ToList();
        int count = list.Sum(c => c.Count);
        return count == 0 ? double.NaN : list.Sum(c => c.Agreement * c.Count) / count;
    }
}

/// <summary>
/// Sample quality beside bits/dim: N samples and N real test images (the first N) are each compared with the rest
/// of the test split (the reference set, at least N images) through the features and predictions of the dataset's
/// classifier. Readable, diverse digits have a small distance, a high mean confidence and a class entropy near
/// log₂ 10 = 3.32 bits; the real images' figures show what a perfect model would score at the same N.
/// </summary>
public static class SampleQuality
{
    /// <summary>Scores <paramref name="samples"/> (integer images [N, C, H, W]) against <paramref name="test"/>.</summary>
    /// <param name="drawnForClasses">K when sample i was drawn for class i mod K (<see cref="Draw"/> with K classes):
    /// adds the per-class figures, beside the first N test images' own labels. 0: unconditional samples.</param>
    public static SampleQualityResult Score(DatasetClassifier classifier, Tensor samples, Dataset test, double classifierAccuracy, int drawnForClasses = 0)
    {
        int n = (int)samples.shape[0];
        CheckCount(n, test.Count);
        using var scope = NewDisposeScope();
        var (referenceFeatures, _) = classifier.Describe(test.Images.narrow(0, n, test.Count - n));
        using var reference = FrechetDistance.Statistics(referenceFeatures);
        var (sampleFigures, sampleProbabilities) = Read(classifier, samples, reference);
        var real = test.Images.narrow(0, 0, n);
        var (realFigures, realProbabilities) = Read(classifier, real, reference);
        IReadOnlyList<ClassReading>? perClass = null;
        if (drawnForClasses > 0)
        {
            if (test.Labels is null) throw new ArgumentException($"{test.Name}: per-class figures need the test split's labels", nameof(test));
            var drawn = PerClass(sampleProbabilities, IntendedLabels(n, drawnForClasses), drawnForClasses);
            var truth = PerClass(realProbabilities, test.Labels.narrow(0, 0, n), drawnForClasses);
            perClass = [.. Enumerable.Range(0, drawnForClasses).Select(k => new ClassReading(k, drawn[k], truth[k]))];
        }
        return new SampleQualityResult(n, sampleFigures, realFigures, classifierAccuracy, test.Count - n) { PerClass = perClass };
    }

    /// <summary>The class sample i of <see cref="Draw"/> is drawn for: i mod K, so every class is drawn equally often.</summary>
    public static Tensor IntendedLabels(int count, int numClasses, int first = 0) =>
        arange(first, first + count, dtype: ScalarType.Int64) % numClasses;

    /// <summary>
    /// For each class k &lt; <paramref name="numClasses"/>: how many rows of <paramref name="probabilities"/> [N, K]
    /// are labelled k, their mean largest probability, and the share whose most probable class is k.
    /// </summary>
    public static ClassFigures[] PerClass(Tensor probabilities, Tensor labels, int numClasses)
    {
        using var scope = NewDisposeScope();
        var confidence = probabilities.max(1).values.to(float64);
        var agrees = probabilities.argmax(1).eq(labels).to(float64);
        var result = new ClassFigures[numClasses];
        for (int k = 0; k < numClasses; k++)
        {
            var mine = labels.eq(k);
            int count = (int)mine.sum().item<long>();
            result[k] = count == 0
                ? new ClassFigures(0, double.NaN, double.NaN)
                : new ClassFigures(count, confidence[mine].mean().item<double>(), agrees[mine].mean().item<double>());
        }
        return result;
    }

    /// <summary>The metric needs N ≥ 2 samples and a reference set of at least N other test images.</summary>
    public static void CheckCount(long samples, long testCount)
    {
        if (samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), samples, "the sample-quality metric needs at least 2 samples");
        if (samples > testCount / 2)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"the sample-quality metric compares N samples and N test images with the other test images: N must be at most half the test split ({testCount / 2})");
    }

    /// <summary>The figures of integer images [N, C, H, W] against the reference statistics.</summary>
    public static QualityFigures Figures(DatasetClassifier classifier, Tensor images, FeatureStatistics reference)
    {
        using var scope = NewDisposeScope();
        return Read(classifier, images, reference).Figures;
    }

    /// <summary>The figures, and the class probabilities [N, K] they came from (in the caller's dispose scope).</summary>
    private static (QualityFigures Figures, Tensor Probabilities) Read(DatasetClassifier classifier, Tensor images, FeatureStatistics reference)
    {
        var (features, probabilities) = classifier.Describe(images);
        using var statistics = FrechetDistance.Statistics(features);
        var confidence = probabilities.max(1).values;
        var predicted = probabilities.argmax(1);
        var histogram = predicted.bincount(null, classifier.NumClasses).to(float64) / predicted.shape[0];
        var entropy = -(histogram * histogram.clamp_min(1e-300).log2()).sum().item<double>();
        return (new QualityFigures(
            FrechetDistance.Compute(statistics, reference),
            confidence.to(float64).mean().item<double>(),
            (confidence > 0.9).to(float64).mean().item<double>(),
            entropy + 0.0), probabilities); // + 0.0 turns −0 into 0 for a single-class histogram
    }

    /// <summary>
    /// <paramref name="count"/> samples drawn in chunks of <paramref name="chunk"/>, sample i seeded by (seed, i) alone,
    /// so the result is the same for any chunk size and memory does not grow with the count.
    /// </summary>
    /// <param name="numClasses">For a class-conditional model: sample i is drawn for class i mod K, so every class is
    /// drawn equally often; 0 draws from the unconditional model (the null class of a conditional one).</param>
    /// <param name="guidance">Classifier-free guidance weight (needs <paramref name="numClasses"/> &gt; 0).</param>
    /// <param name="clip">Clip each step's x̂ to the data's range (<see cref="SamplerOptions.ClipDenoised"/>).</param>
    public static Tensor Draw(VariationalDiffusionModel model, long[] dataShape, int count, SamplerKind sampler, int steps, long seed, int chunk = 250,
        Action<int>? progress = null, int numClasses = 0, double guidance = 0, bool clip = true)
    {
        var parts = new List<Tensor>();
        try
        {
            for (int start = 0; start < count; start += chunk)
            {
                int size = Math.Min(chunk, count - start);
                using var labels = numClasses > 0 ? IntendedLabels(size, numClasses, start) : null;
                using var drawn = Sampler.Draw(model, dataShape, size, sampler,
                    new SamplerOptions { Steps = steps, Seed = seed, FirstIndex = start, NumClasses = numClasses, GuidanceScale = guidance, ClipDenoised = clip }, labels);
                parts.Add(drawn.to(ScalarType.Byte).DetachFromDisposeScope());
                progress?.Invoke(start + size);
            }
            return cat(parts);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
