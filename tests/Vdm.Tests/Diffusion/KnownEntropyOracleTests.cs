using Vdm.Diffusion;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// Data: K fixed random images, equally likely, so the true NLL is log₂K / D bits/dim. With the exact optimal
/// denoiser as the network, the bound must not go below the true NLL (beyond Monte-Carlo error) and must come
/// within a small gap of it (the prior and reconstruction terms are all that separates them).
/// </summary>
public class KnownEntropyOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public void BoundIsAtLeastTheTrueNllAndClose(int timeSteps)
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 8, shape: [1, 4, 4], vocab: 256, seed: 3);
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(), new KPointOracle(data.Encoded()),
            new DiffusionConfig { Vocab = 256, TimeSteps = timeSteps }, ScalarType.Float64);
        using var generator = new Generator(17);
        const int batches = 12, batchSize = 5000;
        var perExample = new List<Tensor>();
        var diffusionMeans = new List<double>();
        for (int i = 0; i < batches; i++)
        {
            using var batchScope = NewDisposeScope();
            var (x, _) = data.Batch(batchSize, generator);
            using var terms = model.Loss(x, generator: generator);
            perExample.Add(terms.ToBitsPerDim(terms.Total()).MoveToOuterDisposeScope());
            diffusionMeans.Add(terms.ToBitsPerDim(terms.Diffusion).mean().item<double>());
        }
        // Each batch is one stratified estimate (antithetic times cover [0, 1) evenly), so the standard error comes
        // from the spread of the batch means, not from the much larger spread of single examples.
        var batchMeans = stack(perExample.Select(p => p.mean()).ToArray());
        double mean = batchMeans.mean().item<double>();
        double stderr = batchMeans.std().item<double>() / Math.Sqrt(batches);
        double truth = data.TrueBitsPerDim;
        output.WriteLine($"T={timeSteps}: bound {mean:F5} ± {stderr:F5} bits/dim, true NLL {truth:F5}, gap {mean - truth:F5}");

        Assert.True(mean >= truth - 4 * stderr, $"bound {mean} ± {stderr} is below the true NLL {truth}");
        // Stated gap: the prior KL is ½ α²₁ E[f²] per dim ≈ 0.0016 bits/dim, and the reconstruction term at
        // σ₀ = 1.3e-3 with 256 levels (bin half-width 3.9e-3) costs ≈ 0.010 bits/dim; 0.02 leaves room for MC error.
        Assert.True(mean - truth < 0.02, $"bound {mean} is more than 0.02 bits/dim above the true NLL {truth}");

        if (timeSteps != 0) return;
        // I-MMSE (Guo, Shamai and Verdú): with the exact denoiser, E[diffusion term] = I(x; z_0) − I(x; z_1).
        // The mutual informations are computed independently, from the entropy of the posterior over the K images.
        double diffusion = diffusionMeans.Average();
        double diffusionErr = Math.Sqrt(diffusionMeans.Sum(v => (v - diffusion) * (v - diffusion)) / (batches - 1) / batches);
        double expected = (MutualInformation(data, -13.3, 40_000, 5) - MutualInformation(data, 5.0, 40_000, 6)) / (data.Dimensions * Math.Log(2));
        output.WriteLine($"diffusion term {diffusion:F5} ± {diffusionErr:F5}, I(x;z0) − I(x;z1) = {expected:F5} bits/dim");
        Assert.True(Math.Abs(diffusion - expected) < 4 * diffusionErr + 0.002, $"diffusion term {diffusion} ≠ I(x;z0) − I(x;z1) = {expected}");
    }

    /// <summary>I(x; z) = log K − E_z[H(p(x | z))] in nats for z = α f_x + σ ε at log-SNR −γ, by Monte Carlo.</summary>
    private static double MutualInformation(KPointData data, double gamma, int samples, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var points = data.Encoded().reshape(data.K, -1);
        double alpha = Math.Sqrt(1 / (1 + Math.Exp(gamma))), sigma = Math.Sqrt(1 / (1 + Math.Exp(-gamma)));
        var which = randint(0, data.K, [samples], ScalarType.Int64, generator: generator);
        var z = alpha * points.index_select(0, which) + sigma * randn([samples, points.shape[1]], ScalarType.Float64, generator: generator);
        var logits = -(z.unsqueeze(1) - alpha * points.unsqueeze(0)).square().sum(-1) / (2 * sigma * sigma);
        var logPosterior = logits.log_softmax(1);
        var entropy = -(logPosterior.exp() * logPosterior).sum(1).mean().item<double>();
        return Math.Log(data.K) - entropy;
    }
}
