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

/// <summary>The metric for N samples, and the same metric for N real test images as the floor beside it.</summary>
public sealed record SampleQualityResult(int Count, QualityFigures Samples, QualityFigures RealImages, double ClassifierAccuracy, long ReferenceImages)
{
    /// <summary>The name under which the figures are reported: honest about the feature network.</summary>
    public const string MetricName = "classifier Fréchet distance (the dataset's own CNN features, not Inception FID)";
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
    public static SampleQualityResult Score(DatasetClassifier classifier, Tensor samples, Dataset test, double classifierAccuracy)
    {
        int n = (int)samples.shape[0];
        CheckCount(n, test.Count);
        using var scope = NewDisposeScope();
        var (referenceFeatures, _) = classifier.Describe(test.Images.narrow(0, n, test.Count - n));
        using var reference = FrechetDistance.Statistics(referenceFeatures);
        var sampleFigures = Figures(classifier, samples, reference);
        var realFigures = Figures(classifier, test.Images.narrow(0, 0, n), reference);
        return new SampleQualityResult(n, sampleFigures, realFigures, classifierAccuracy, test.Count - n);
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
        var (features, probabilities) = classifier.Describe(images);
        using var statistics = FrechetDistance.Statistics(features);
        var confidence = probabilities.max(1).values;
        var predicted = probabilities.argmax(1);
        var histogram = predicted.bincount(null, classifier.NumClasses).to(float64) / predicted.shape[0];
        var entropy = -(histogram * histogram.clamp_min(1e-300).log2()).sum().item<double>();
        return new QualityFigures(
            FrechetDistance.Compute(statistics, reference),
            confidence.to(float64).mean().item<double>(),
            (confidence > 0.9).to(float64).mean().item<double>(),
            entropy + 0.0); // + 0.0 turns −0 into 0 for a single-class histogram
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
                using var labels = numClasses > 0 ? (arange(start, start + size, dtype: ScalarType.Int64) % numClasses) : null;
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
