using Vdm.Diffusion;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>The prior and reconstruction terms against direct float64 computations written here, loop by loop.</summary>
public class LossTermTests
{
    private const int Vocab = 256;

    private static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

    private static double Encode(long x) => 2.0 * (x + 0.5) / Vocab - 1.0;

    [Fact]
    public void PriorKlMatchesClosedForm()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var x = randint(0, Vocab, [3, 2, 5], ScalarType.Int64, generator: generator);
        var gamma1 = tensor(new[] { 5.0, 0.3, -2.0 }, ScalarType.Float64);
        var kl = PriorKl.Compute(ForwardProcess.Encode(x, Vocab, ScalarType.Float64), gamma1);
        var xs = x.reshape(3, -1);
        for (int b = 0; b < 3; b++)
        {
            double g = gamma1[b].item<double>(), a2 = Sigmoid(-g), s2 = Sigmoid(g), expected = 0;
            for (int d = 0; d < 10; d++)
            {
                double f = Encode(xs[b, d].item<long>());
                // KL(N(μ, s²) ‖ N(0, 1)) = ½ (μ² + s² − ln s² − 1), μ = α f.
                expected += 0.5 * (a2 * f * f + s2 - Math.Log(s2) - 1.0);
            }
            Assert.Equal(expected, kl[b].item<double>(), 10);
        }
    }

    [Fact]
    public void DecoderLogProbMatchesDirectSoftmaxAndSumsToOne()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        const int vocab = 16;
        var x = randint(0, vocab, [2, 7], ScalarType.Int64, generator: generator);
        var gamma0 = tensor(new[] { -6.0, -1.5 }, ScalarType.Float64);
        var z0 = randn([2, 7], ScalarType.Float64, generator: generator) * 0.9;
        var logp = CategoricalDecoder.LogProb(x, z0, gamma0, vocab);
        var probs = CategoricalDecoder.Logits(z0, gamma0, vocab).softmax(-1);
        Assert.True((probs.sum(-1) - 1).abs().max().item<double>() < 1e-12, "decoder probabilities do not sum to 1");
        for (int b = 0; b < 2; b++)
        {
            double g = gamma0[b].item<double>(), alpha = Math.Sqrt(Sigmoid(-g)), snr = Math.Exp(-g);
            for (int d = 0; d < 7; d++)
            {
                double zr = z0[b, d].item<double>() / alpha;
                var logits = Enumerable.Range(0, vocab).Select(v =>
                {
                    double fv = 2.0 * (v + 0.5) / vocab - 1.0;
                    return -0.5 * snr * (zr - fv) * (zr - fv);
                }).ToArray();
                double max = logits.Max();
                double logZ = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
                double expected = logits[x[b, d].item<long>()] - logZ;
                Assert.Equal(expected, logp[b, d].item<double>(), 9);
            }
        }
    }

    /// <summary>At 256 levels the decoder sums over a window around the nearest level (<see cref="CategoricalDecoder.WindowHalfWidth"/>):
    /// values and gradients must be those of the sum over all 256, written here, for small and large γ₀, z_0 beyond
    /// both edges, and x far from z_0.</summary>
    [Theory]
    [InlineData(-13.3, 2)]
    [InlineData(-10.0, 8)]
    [InlineData(-6.0, 57)]
    public void WindowedDecoderEqualsTheSumOverAllLevelsInValueAndGradient(double gamma, int expectedHalfWidth)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(17);
        var x = randint(0, Vocab, [3, 40], ScalarType.Int64, generator: generator);
        x[0, 0] = tensor(0L);
        x[0, 1] = tensor(255L);
        var f = ForwardProcess.Encode(x, Vocab, ScalarType.Float64);
        var gamma0Value = tensor(new[] { gamma, gamma - 0.7, gamma - 2.0 }, ScalarType.Float64);
        var alpha = (gamma0Value.neg().sigmoid()).sqrt().unsqueeze(-1);
        var sigma = gamma0Value.sigmoid().sqrt().unsqueeze(-1);
        var noise = randn([3, 40], ScalarType.Float64, generator: generator);
        var z0Value = (alpha * f + sigma * noise).clone();
        z0Value[0, 2] = alpha[0, 0] * 1.3;   // beyond the top level
        z0Value[0, 3] = alpha[0, 0] * -1.2;  // below the bottom level
        z0Value[1, 4] = alpha[1, 0] * (ForwardProcess.Encode(x[1, 4], Vocab, ScalarType.Float64) + 0.5); // x far from z_0

        Assert.Equal(expectedHalfWidth, CategoricalDecoder.WindowHalfWidth(gamma0Value, Vocab));

        (Tensor Value, Tensor DZ, Tensor DGamma) Evaluate(Func<Tensor, Tensor, Tensor> logProb)
        {
            var z0 = z0Value.detach().clone().requires_grad_(true);
            var gamma0 = gamma0Value.detach().clone().requires_grad_(true);
            var value = logProb(z0, gamma0);
            // Weights so that a wrong gradient of any element shows.
            (value * linspace(0.5, 1.5, 40, ScalarType.Float64)).sum().backward();
            return (value.detach(), z0.grad!.detach(), gamma0.grad!.detach());
        }

        var windowed = Evaluate((z0, gamma0) => CategoricalDecoder.LogProb(x, z0, gamma0, Vocab));
        var full = Evaluate((z0, gamma0) =>
        {
            var g = gamma0.unsqueeze(-1);
            var rescaled = (z0 / (g.neg().sigmoid()).sqrt()).unsqueeze(-1);
            var levels = (arange(Vocab, ScalarType.Float64) + 0.5) * (2.0 / Vocab) - 1.0;
            var logits = -0.5 * g.neg().exp().unsqueeze(-1) * (rescaled - levels).square();
            return logits.gather(-1, x.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1);
        });
        // Relative to max(1, |b|): a log-probability near 0 is compared absolutely.
        static double MaxRelative(Tensor a, Tensor b) => ((a - b).abs() / b.abs().clamp_min(1.0)).max().item<double>();
        Assert.True(MaxRelative(windowed.Value, full.Value) < 1e-12, $"log p differs by {MaxRelative(windowed.Value, full.Value):g3} (relative)");
        Assert.True(MaxRelative(windowed.DZ, full.DZ) < 1e-9, $"d/dz_0 differs by {MaxRelative(windowed.DZ, full.DZ):g3}");
        Assert.True(MaxRelative(windowed.DGamma, full.DGamma) < 1e-9, $"d/dγ₀ differs by {MaxRelative(windowed.DGamma, full.DGamma):g3}");
    }

    [Fact]
    public void WeightingsKeepTheBoundAndWeightItsDiffusionTermByNoiseLevel()
    {
        using var scope = NewDisposeScope();
        using var data = new Generator(2);
        var x = randint(0, Vocab, [5, 6], ScalarType.Int64, generator: data);
        var u = tensor(new[] { 0.05, 0.3, 0.5, 0.7, 0.95 }, ScalarType.Float64);
        const double bias = 1.5;

        LossTerms TermsWith(Weighting weighting)
        {
            using var model = new VariationalDiffusionModel(new FixedLinearSchedule(-4.0, 5.0), new KPointOracle(zeros(1, 6)),
                new DiffusionConfig { Vocab = Vocab, Weighting = weighting, WeightingBias = bias }, ScalarType.Float64);
            using var rng = new Generator(7);
            return model.Loss(x, generator: rng, u: u);
        }

        using var vlb = TermsWith(Weighting.Vlb);
        using var sigmoid = TermsWith(Weighting.Sigmoid);
        using var simple = TermsWith(Weighting.Simple);
        Assert.True(vlb.IsBound);
        Assert.False(sigmoid.IsBound);
        Assert.False(simple.IsBound);
        for (int b = 0; b < 5; b++)
        {
            double bound = vlb.Diffusion[b].item<double>();
            Assert.True(bound > 0);
            // Same draws, same bound whatever the weighting.
            Assert.Equal(bound, sigmoid.Diffusion[b].item<double>(), 12);
            Assert.Equal(bound, simple.Diffusion[b].item<double>(), 12);
            // γ(t) = −4 + 9t, so the bound's weight is ½ γ' = 4.5; sigmoid weighting multiplies by sigmoid(b + γ_t).
            double gamma = -4.0 + 9.0 * u[b].item<double>();
            Assert.Equal(Sigmoid(bias + gamma) * bound, sigmoid.DiffusionObjective[b].item<double>(), 12);
            Assert.Equal(0.5 * bound / 4.5, simple.DiffusionObjective[b].item<double>(), 12);
        }
        Assert.Equal(vlb.MeanBitsPerDim().item<double>(), sigmoid.MeanBitsPerDim().item<double>(), 12);
        Assert.True(sigmoid.MeanObjective().item<double>() < sigmoid.MeanBitsPerDim().item<double>());
    }

    /// <summary>A bias that grows over training: at progress p the sigmoid weighting's bias is b + p × growth, and the
    /// bound is the same whatever the progress.</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void TheWeightingBiasGrowsWithTrainingProgress(double progress)
    {
        using var scope = NewDisposeScope();
        using var data = new Generator(2);
        var x = randint(0, Vocab, [4, 6], ScalarType.Int64, generator: data);
        var u = tensor(new[] { 0.1, 0.4, 0.6, 0.9 }, ScalarType.Float64);
        const double bias = 1.0, growth = 6.0;
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(-4.0, 5.0), new KPointOracle(zeros(1, 6)),
            new DiffusionConfig { Vocab = Vocab, Weighting = Weighting.Sigmoid, WeightingBias = bias, WeightingBiasGrowth = growth }, ScalarType.Float64);
        model.TrainingProgress = progress;
        using var rng = new Generator(7);
        using var terms = model.Loss(x, generator: rng, u: u);
        for (int b = 0; b < 4; b++)
        {
            double gamma = -4.0 + 9.0 * u[b].item<double>();
            double bound = terms.Diffusion[b].item<double>();
            Assert.Equal(Sigmoid(bias + growth * progress + gamma) * bound, terms.DiffusionObjective[b].item<double>(), 12);
        }
    }

    [Fact]
    public void LossReconstructionTermUsesTheDecoderAtTimeZero()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(-4.0, 5.0),
            new KPointOracle(zeros(1, 6)), new DiffusionConfig { Vocab = Vocab }, ScalarType.Float64);
        using var data = new Generator(1);
        var x = randint(0, Vocab, [4, 6], ScalarType.Int64, generator: data);
        using var lossRng = new Generator(99);
        using var terms = model.Loss(x, generator: lossRng);

        // The loss draws ε_0 first from its generator; redo that draw and the decoder by hand.
        using var replay = new Generator(99);
        var eps0 = randn([4, 6], ScalarType.Float64, generator: replay);
        double gamma0 = -4.0, alpha = Math.Sqrt(Sigmoid(-gamma0)), sigma = Math.Sqrt(Sigmoid(gamma0)), snr = Math.Exp(-gamma0);
        for (int b = 0; b < 4; b++)
        {
            double expected = 0;
            for (int d = 0; d < 6; d++)
            {
                long xv = x[b, d].item<long>();
                double zr = (alpha * Encode(xv) + sigma * eps0[b, d].item<double>()) / alpha;
                var logits = Enumerable.Range(0, Vocab).Select(v => -0.5 * snr * Math.Pow(zr - Encode(v), 2)).ToArray();
                double max = logits.Max();
                expected -= logits[xv] - (max + Math.Log(logits.Sum(l => Math.Exp(l - max))));
            }
            Assert.Equal(expected, terms.Recon[b].item<double>(), 8);
        }
    }

    [Fact]
    public void BitsPerDimDividesNatsByDimensionsTimesLn2()
    {
        using var scope = NewDisposeScope();
        var nats = tensor(new[] { Math.Log(2) * 12 }, ScalarType.Float64);
        using var terms = new LossTerms(nats, zeros_like(nats), zeros_like(nats), 12);
        Assert.Equal(1.0, terms.MeanBitsPerDim().item<double>(), 12);
    }

    [Fact]
    public void ForwardProcessHasTheMarginalMeanAndVariance()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(21);
        const int n = 200_000;
        var f = tensor(new[] { -0.9, 0.1, 0.7 }, ScalarType.Float64);
        foreach (var g in new[] { -5.0, 0.0, 3.0 })
        {
            var fs = f.unsqueeze(0).expand(n, 3);
            var eps = randn([n, 3], ScalarType.Float64, generator: generator);
            var z = ForwardProcess.Diffuse(fs, full(n, g, ScalarType.Float64), eps);
            double alpha = Math.Sqrt(Sigmoid(-g)), sigma2 = Sigmoid(g);
            var mean = z.mean([0]);
            var variance = z.var(0);
            for (int d = 0; d < 3; d++)
            {
                double stderr = Math.Sqrt(sigma2 / n);
                Assert.True(Math.Abs(mean[d].item<double>() - alpha * f[d].item<double>()) < 5 * stderr, $"mean at γ={g}, d={d}");
                // The sample variance has standard error σ² sqrt(2/n).
                Assert.True(Math.Abs(variance[d].item<double>() - sigma2) < 5 * sigma2 * Math.Sqrt(2.0 / n), $"variance at γ={g}, d={d}");
            }
        }
    }

    [Fact]
    public void AntitheticTimesCoverTheUnitIntervalEvenly()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(4);
        var u = TimeSampling.Antithetic(8, generator, dtype: ScalarType.Float64);
        var sorted = u.sort().Values;
        var gaps = sorted[TensorIndex.Slice(1)] - sorted[TensorIndex.Slice(0, -1)];
        Assert.True((gaps - 0.125).abs().max().item<double>() < 1e-12);
        Assert.True(u.min().item<double>() >= 0 && u.max().item<double>() < 1);
    }
}
