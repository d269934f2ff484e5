using Vdm.Diffusion;
using Vdm.Sampling;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// With the exact denoiser of K equally likely images, the samplers must return exactly those images, and the
/// ancestral sampler must draw them with frequencies consistent with 1/K.
/// </summary>
public class SamplerOracleTests(ITestOutputHelper output)
{
    private const int K = 4, Samples = 400;

    private static int[] Classify(Tensor samples, KPointData data)
    {
        var flat = samples.to(ScalarType.Int64).reshape(samples.shape[0], -1);
        var images = data.Images.reshape(K, -1);
        var result = new int[samples.shape[0]];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = -1;
            for (int k = 0; k < K; k++)
                if (flat[i].eq(images[k]).all().item<bool>()) result[i] = k;
        }
        return result;
    }

    private static (KPointData Data, VariationalDiffusionModel Model) Setup()
    {
        var data = new KPointData(K, [1, 3, 3], vocab: 32, seed: 12);
        var model = new VariationalDiffusionModel(new FixedLinearSchedule(), new KPointOracle(data.Encoded()),
            new DiffusionConfig { Vocab = 32 }, ScalarType.Float64);
        return (data, model);
    }

    [Fact]
    public void AncestralSamplerReturnsTheImagesWithUniformFrequencies()
    {
        using var scope = NewDisposeScope();
        var (data, model) = Setup();
        using var _ = data;
        using var __ = model;
        var samples = AncestralSampler.Sample(model, data.Shape, Samples, new SamplerOptions { Steps = 1000, Seed = 1 });
        var which = Classify(samples, data);
        Assert.DoesNotContain(-1, which);
        var counts = Enumerable.Range(0, K).Select(k => which.Count(w => w == k)).ToArray();
        double expected = (double)Samples / K;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        output.WriteLine($"counts {string.Join(", ", counts)}; χ² = {chi2:F2}");
        // χ² with K − 1 = 3 degrees of freedom: P(χ² > 16.27) = 0.001.
        Assert.True(chi2 < 16.27, $"frequencies {string.Join(", ", counts)} are not uniform (χ² = {chi2:F2})");
    }

    [Fact]
    public void DdimWithFiftyStepsReturnsTheImages()
    {
        using var scope = NewDisposeScope();
        var (data, model) = Setup();
        using var _ = data;
        using var __ = model;
        var samples = DdimSampler.Sample(model, data.Shape, 100, new SamplerOptions { Steps = 50, Seed = 2 });
        var which = Classify(samples, data);
        Assert.DoesNotContain(-1, which);
        Assert.True(which.Distinct().Count() == K, "DDIM should reach every one of the K images from 100 starts");
    }

    [Fact]
    public void SamplesDependOnSeedAndIndexOnly()
    {
        using var scope = NewDisposeScope();
        var (data, model) = Setup();
        using var _ = data;
        using var __ = model;
        var options = new SamplerOptions { Steps = 20, Seed = 9, SampleDecoder = true };
        var whole = AncestralSampler.Sample(model, data.Shape, 6, options);
        var tail = AncestralSampler.Sample(model, data.Shape, 3, options with { FirstIndex = 3 });
        Assert.True(whole[TensorIndex.Slice(3)].eq(tail).all().item<bool>(), "sample i must not depend on the batch it was drawn in");
    }
}
