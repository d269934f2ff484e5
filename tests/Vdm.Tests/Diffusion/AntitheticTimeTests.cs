using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// The loss's time sampling (VDM Appendix I.1): with antithetic (low-discrepancy) sampling the B times of a batch are
/// t_i = (u + i/B) mod 1, evenly spaced on the circle, which lowers the variance of the batch's diffusion estimate.
/// The times are read back from the γ_t the loss hands the network (γ is linear in t for the fixed schedule).
/// </summary>
public class AntitheticTimeTests(ITestOutputHelper output)
{
    private const double GammaMin = -13.3, GammaMax = 5.0;

    /// <summary>Wraps a denoiser and records the times t = (γ − γ_min)/(γ_max − γ_min) of every call.</summary>
    private sealed class TimeRecorder(Denoiser inner) : Denoiser(nameof(TimeRecorder))
    {
        public List<double[]> Times { get; } = [];

        public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
        {
            Times.Add(gamma.to(ScalarType.Float64).data<double>().Select(g => (g - GammaMin) / (GammaMax - GammaMin)).ToArray());
            return inner.forward(z, gamma, labels);
        }
    }

    /// <summary>The largest distance of the sorted times' circular gaps from 1/B.</summary>
    private static double SpacingError(double[] times)
    {
        var sorted = times.OrderBy(t => t).ToArray();
        int b = sorted.Length;
        double worst = Math.Abs(sorted[0] + 1 - sorted[^1] - 1.0 / b);
        for (int i = 1; i < b; i++) worst = Math.Max(worst, Math.Abs(sorted[i] - sorted[i - 1] - 1.0 / b));
        return worst;
    }

    [Fact]
    public void LossTimesAreEvenlySpacedModOneWithARandomOffset()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [2], vocab: 256, seed: 1);
        var recorder = new TimeRecorder(new KPointOracle(data.Encoded()));
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(GammaMin, GammaMax), recorder, new DiffusionConfig(), ScalarType.Float64);
        using var generator = new Generator(5);
        for (int i = 0; i < 3; i++)
        {
            using var batchScope = NewDisposeScope();
            using var terms = model.Loss(data.Batch(16, generator).X, generator: generator);
        }
        Assert.Equal(3, recorder.Times.Count);
        foreach (var times in recorder.Times)
        {
            Assert.All(times, t => Assert.InRange(t, 0.0, 1.0));
            // t = (γ − γ_min)/18.3 recovers u to float64 rounding of γ (|γ| ≤ 13.3): ~1e-15. Uniform times miss 1/B by
            // O(1/B) = 0.06 (measured below), antithetic ones by rounding only.
            double error = SpacingError(times);
            Assert.True(error < 1e-12, $"loss times {string.Join(", ", times.Select(t => t.ToString("F4")))} are not evenly spaced (off by {error})");
        }
        // The offset u is drawn per batch: three batches, three different offsets (equal ones have probability 0).
        Assert.Equal(3, recorder.Times.Select(t => Math.Round(t.Min(), 9)).Distinct().Count());

        var uniform = new TimeRecorder(new KPointOracle(data.Encoded()));
        using var plain = new VariationalDiffusionModel(new FixedLinearSchedule(GammaMin, GammaMax), uniform, new DiffusionConfig { Antithetic = false }, ScalarType.Float64);
        using (var terms = plain.Loss(data.Batch(16, generator).X, generator: generator))
            output.WriteLine($"uniform times: spacing error {SpacingError(uniform.Times[0]):F3}");
        Assert.True(SpacingError(uniform.Times[0]) > 1e-3, "with Antithetic = false the times should be independent uniforms");
    }

    [Fact]
    public void AntitheticTimesLowerTheVarianceOfTheDiffusionEstimate()
    {
        using var scope = NewDisposeScope();
        // 8-bit data from N(μ, s²) in the encoded space, 64 dimensions, with the Gaussian optimal denoiser.
        using var generator = new Generator(21);
        var f = randn([Batches * BatchSize, 64], ScalarType.Float64, generator: generator) * 0.15 + 0.1;
        var x = ((f + 1) * 128 - 0.5).round().clamp(0, 255).to(ScalarType.Int64);
        double Variance(bool antithetic)
        {
            using var model = new VariationalDiffusionModel(new FixedLinearSchedule(GammaMin, GammaMax), new GaussianOracle(0.1, 0.15),
                new DiffusionConfig { Antithetic = antithetic }, ScalarType.Float64);
            using var lossGenerator = new Generator(22);
            var means = new double[Batches];
            for (int i = 0; i < Batches; i++)
            {
                using var batchScope = NewDisposeScope();
                using var terms = model.Loss(x[TensorIndex.Slice(i * BatchSize, (i + 1) * BatchSize)], generator: lossGenerator);
                means[i] = terms.ToBitsPerDim(terms.Diffusion).mean().item<double>();
            }
            double mean = means.Average();
            return means.Sum(m => (m - mean) * (m - mean)) / (Batches - 1);
        }
        double antitheticVar = Variance(true), uniformVar = Variance(false);
        output.WriteLine($"variance of the batch mean of the diffusion term: antithetic {antitheticVar:E3}, uniform {uniformVar:E3}, ratio {uniformVar / antitheticVar:F2}");
        // Given t, ‖ε − ε̂‖² sums 64 independent terms (relative spread ≈ √(2/64)), while ½γ'·E‖ε − ε̂‖² = ½γ'·64 α²s²/v_t
        // falls from ≈ 580 to ≈ 0 over t: most of a batch mean's variance comes from which times were drawn, and
        // stratified times remove it. Measured ratio (uniform / antithetic) with 40 batches of 32: 13.2, 10.8 and 13.8 for
        // three seeds. Each variance has 39 degrees of freedom, so the ratio's log has SE √(2/39 + 2/39) = 0.32:
        // asserting > 4 leaves ≥ 3.7 SE of margin below 10.8, and equal variances (uniform times in both) would exceed 4
        // with p < 1e-4 (F(39, 39)).
        Assert.True(uniformVar / antitheticVar > 4, $"antithetic times lower the variance only {uniformVar / antitheticVar:F2}-fold");
    }

    private const int Batches = 40, BatchSize = 32;
}
