using Vdm.Diffusion;
using Vdm.Sampling;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// Samplers on continuous data: encoded values f ~ N(μ, s²) independently in each dimension, with the exact denoiser
/// (<see cref="GaussianOracle"/>, linear in z_t). Every quantity then has a closed form computed here in doubles by
/// a different route from the samplers' code: the ancestral step as the Bayes posterior q(z_s | z_t, x̂) in its
/// α_{t|s}, σ²_{t|s} form, DDIM as an Euler step of the probability-flow ODE in (z/α, σ/α), and the marginals as
/// Gaussians. The noise each step draws is reproduced from <see cref="SampleNoise"/> (seed, index), so single steps
/// are checked exactly, not in distribution.
/// </summary>
public class GaussianSamplerTests(ITestOutputHelper output)
{
    private const double Mu = 0.1, S = 0.15, GammaMin = -13.3, GammaMax = 5.0;
    private static readonly long[] Shape = [8];

    private static VariationalDiffusionModel Model(double mu = Mu) =>
        new(new FixedLinearSchedule(GammaMin, GammaMax), new GaussianOracle(mu, S), new DiffusionConfig { Vocab = 256 }, ScalarType.Float64);

    private static double Gamma(double t) => GammaMin + (GammaMax - GammaMin) * t;

    /// <summary>Runs a sampler and returns z after every step (index 0 is z_1, index i the state at t = 1 − i/T), as doubles [count·D].</summary>
    private static List<double[]> Trajectory(Func<VariationalDiffusionModel, SamplerOptions, SamplerObserver, Tensor> sampler,
        int steps, int count, long seed, double mu = Mu, bool clip = true)
    {
        using var scope = NewDisposeScope();
        using var model = Model(mu);
        var states = new List<double[]>();
        using (var noise = new SampleNoise(seed, 0, count)) states.Add(noise.Next(Shape, ScalarType.Float64).data<double>().ToArray());
        sampler(model, new SamplerOptions { Steps = steps, Seed = seed, ClipDenoised = clip }, (_, _, z) => states.Add(z.data<double>().ToArray()));
        return states;
    }

    /// <summary>The fresh noise ε' the ancestral sampler draws at each step (the draws after z_1 from each sample's generator).</summary>
    private static List<double[]> StepNoise(int steps, int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var noise = new SampleNoise(seed, 0, count);
        noise.Next(Shape, ScalarType.Float64).Dispose(); // z_1
        return Enumerable.Range(0, steps).Select(_ => noise.Next(Shape, ScalarType.Float64).data<double>().ToArray()).ToList();
    }

    /// <summary>
    /// With μ = 1.4 the data lie outside [−1, 1], so x̂ = E[f | z_t] leaves the range at every step: clipped (the
    /// default), the step is the posterior given clamp(x̂, −1, 1); unclipped, the posterior given x̂ itself (VDM eq. 32).
    /// At μ = 0.1 the clip never binds and both are the plain posterior.
    /// </summary>
    [Theory]
    [InlineData(Mu, true)]
    [InlineData(Mu, false)]
    [InlineData(1.4, true)]
    [InlineData(1.4, false)]
    public void EveryAncestralStepIsTheGaussianPosteriorGivenXHat(double mu, bool clip)
    {
        using var scope = NewDisposeScope();
        const int steps = 5, count = 3;
        var oracle = new GaussianOracle(mu, S);
        var states = Trajectory((m, o, obs) => AncestralSampler.Sample(m, Shape, count, o, observer: obs), steps, count, seed: 4, mu, clip);
        var fresh = StepNoise(steps, count, seed: 4);
        Assert.Equal(steps + 1, states.Count);
        double worst = 0;
        bool clipped = false;
        for (int i = 0; i < steps; i++)
        {
            double gt = Gamma((double)(steps - i) / steps), gs = Gamma((double)(steps - i - 1) / steps);
            // q(z_s | z_t, x) (VDM §3.2, Appendix A): α²_{t|s} = α²_t/α²_s, σ²_{t|s} = σ²_t − α²_{t|s} σ²_s,
            // mean (α_{t|s} σ²_s/σ²_t) z_t + (α_s σ²_{t|s}/σ²_t) x, variance σ²_{t|s} σ²_s/σ²_t; x = x̂ = E[f | z_t].
            double a2t = GaussianOracle.Alpha2(gt), a2s = GaussianOracle.Alpha2(gs), s2t = GaussianOracle.Sigma2(gt), s2s = GaussianOracle.Sigma2(gs);
            double a2ts = a2t / a2s, s2ts = s2t - a2ts * s2s;
            double zScale = Math.Sqrt(a2ts) * s2s / s2t, xScale = Math.Sqrt(a2s) * s2ts / s2t, std = Math.Sqrt(s2ts * s2s / s2t);
            for (int j = 0; j < states[i].Length; j++)
            {
                double z = states[i][j];
                double xHat = oracle.PosteriorMean(z, gt);
                clipped |= Math.Abs(xHat) > 1;
                if (clip) xHat = Math.Clamp(xHat, -1, 1);
                double expected = zScale * z + xScale * xHat + std * fresh[i][j];
                worst = Math.Max(worst, Math.Abs(states[i + 1][j] - expected));
            }
        }
        output.WriteLine($"largest |z_s − posterior draw| over {steps} steps: {worst:E2}");
        // Both sides are float64 evaluations of the same number by different formulas; with steps of Δγ = 3.7 no term
        // cancels (σ²_{t|s} = σ²_t (1 − e^{γ_s − γ_t}·…) keeps ≥ 97% of its digits) and |z| ≤ ~5, so they agree to
        // ~1e-14. 1e-10 is loose for rounding, while any change to a scale or the variance moves z by ≥ 1e-3.
        Assert.True(worst < 1e-10, $"an ancestral step differs from the posterior q(z_s | z_t, x̂) draw by {worst:E2}");
        Assert.Equal(Math.Abs(mu) > 1, clipped); // the clip binds exactly in the cases meant to exercise it
    }

    [Fact]
    public void EveryDdimStepIsAnEulerStepOfTheProbabilityFlowInSnrCoordinates()
    {
        using var scope = NewDisposeScope();
        const int steps = 5, count = 3;
        var oracle = new GaussianOracle(Mu, S);
        var states = Trajectory((m, o, obs) => DdimSampler.Sample(m, Shape, count, o, observer: obs), steps, count, seed: 5);
        double worst = 0;
        for (int i = 0; i < steps; i++)
        {
            double gt = Gamma((double)(steps - i) / steps), gs = Gamma((double)(steps - i - 1) / steps);
            // DDIM (Song et al. 2021, eq. 14): with y = z/α and ρ = σ/α = exp(γ/2), y_s = y_t + (ρ_s − ρ_t) ε̂(z_t).
            double at = Math.Sqrt(GaussianOracle.Alpha2(gt)), az = Math.Sqrt(GaussianOracle.Alpha2(gs));
            double rt = Math.Exp(gt / 2), rs = Math.Exp(gs / 2);
            for (int j = 0; j < states[i].Length; j++)
            {
                double z = states[i][j];
                double expected = az * (z / at + (rs - rt) * oracle.EpsMean(z, gt));
                worst = Math.Max(worst, Math.Abs(states[i + 1][j] - expected));
            }
        }
        output.WriteLine($"largest |z_s − Euler step| over {steps} steps: {worst:E2}");
        // Float64 rounding of O(1) values through ~10 operations: ~1e-15; the clip of x̂ to [−1, 1] is inactive
        // (|x̂ − μ| ≤ s·|ξ| with |ξ| < 4 here). A wrong α, σ or time moves z by ≥ 1e-3.
        Assert.True(worst < 1e-10, $"a DDIM step differs from the probability-flow Euler step by {worst:E2}");
    }

    [Fact]
    public void DdimConvergesToTheProbabilityFlowSolutionAtFirstOrder()
    {
        using var scope = NewDisposeScope();
        double coarse = DdimError(25), fine = DdimError(100);
        output.WriteLine($"largest |DDIM z_0 − probability-flow z_0|: T = 25: {coarse:E3}, T = 100: {fine:E3}, ratio {coarse / fine:F2}");
        // DDIM is Euler's method on the probability-flow ODE (previous test), a first-order method: its global error
        // is C/T + O(1/T²), so 4× the steps divides it by ≈ 4 (measured: 4.07e-2 → 1.05e-2, ratio 3.87). A sampler
        // whose map is not this ODE's Euler step converges to something else (ratio → 1) or not at all.
        Assert.InRange(coarse / fine, 3.0, 5.0);
        // C ≈ 1.0 measured (T·error = 1.02 at T = 25 and 1.05 at T = 100); twice that at T = 100 is the bound.
        Assert.True(fine < 0.02, $"DDIM with 100 steps is {fine:E3} away from the probability-flow solution");
    }

    /// <summary>Largest distance between DDIM's z_0 and the probability-flow ODE's exact solution from the same z_1.</summary>
    private static double DdimError(int steps)
    {
        const int count = 200;
        var states = Trajectory((m, o, obs) => DdimSampler.Sample(m, Shape, count, o, observer: obs), steps, count, seed: 6);
        // The marginals are Gaussian, N(α_t μ, v_t) with v_t = α²_t s² + σ²_t, so the probability-flow ODE (a monotone
        // transport between them in each dimension) keeps (z − α_t μ)/√v_t constant: z_0 = α_0 μ + √v_0 (z_1 − α_1 μ)/√v_1.
        double a1 = Math.Sqrt(GaussianOracle.Alpha2(GammaMax)), a0 = Math.Sqrt(GaussianOracle.Alpha2(GammaMin));
        double v1 = a1 * a1 * S * S + GaussianOracle.Sigma2(GammaMax), v0 = a0 * a0 * S * S + GaussianOracle.Sigma2(GammaMin);
        double worst = 0;
        for (int j = 0; j < states[0].Length; j++)
        {
            double expected = a0 * Mu + Math.Sqrt(v0) * (states[0][j] - a1 * Mu) / Math.Sqrt(v1);
            worst = Math.Max(worst, Math.Abs(states[^1][j] - expected));
        }
        return worst;
    }

    [Fact]
    public void AncestralSamplesHaveTheMeanAndVarianceOfTheExactChain()
    {
        using var scope = NewDisposeScope();
        const int steps = 200, count = 2000;
        var states = Trajectory((m, o, obs) => AncestralSampler.Sample(m, Shape, count, o, observer: obs), steps, count, seed: 7);
        double a0 = Math.Sqrt(GaussianOracle.Alpha2(GammaMin));
        var x = states[^1].Select(z => z / a0).ToArray();
        double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);

        // Each step is linear-Gaussian, z_s = A z_t + B + std ε', so the chain's marginal N(m, V) follows from z_1 ~ N(0, 1)
        // by m ← A m + B, V ← A² V + std² (posterior form of the first test). The chain, not the data, is the target:
        // with x̂ = E[f | z_t] each step drops Var(f | z_t), so V falls short of s² by O(1/T) (4.4% at T = 200, 0.9% at
        // T = 1000: the recursion shows it converging to the data's N(μ, s²), asserted below).
        var oracle = new GaussianOracle(Mu, S);
        double chainMean = 0, chainVar = 1;
        for (int i = steps; i >= 1; i--)
        {
            double gt = Gamma((double)i / steps), gs = Gamma((double)(i - 1) / steps);
            double a2t = GaussianOracle.Alpha2(gt), a2s = GaussianOracle.Alpha2(gs), s2t = GaussianOracle.Sigma2(gt), s2s = GaussianOracle.Sigma2(gs);
            double a2ts = a2t / a2s, s2ts = s2t - a2ts * s2s;
            double zScale = Math.Sqrt(a2ts) * s2s / s2t, xScale = Math.Sqrt(a2s) * s2ts / s2t;
            double slope = oracle.PosteriorMean(1, gt) - oracle.PosteriorMean(0, gt); // E[f | z] is linear in z
            double a = zScale + xScale * slope, b = xScale * oracle.PosteriorMean(0, gt);
            chainMean = a * chainMean + b;
            chainVar = a * a * chainVar + s2ts * s2s / s2t;
        }
        chainMean /= a0;
        chainVar /= a0 * a0;
        output.WriteLine($"T = {steps}, n = {x.Length}: sample mean {mean:F5} (chain {chainMean:F5}, μ = {Mu}), " +
            $"variance {variance:F6} (chain {chainVar:F6}, s² = {S * S:F6})");

        // Sampling error of n = 16,000 independent Gaussian values (2,000 samples × 8 independent dimensions):
        // SE(mean) = √(V/n) = 1.2e-3, SE(variance) = V √(2/(n − 1)) = 2.4e-4 (1.1%); 4 SE fails by chance with p ≈ 6e-5.
        double n = x.Length;
        Assert.True(Math.Abs(mean - chainMean) < 4 * Math.Sqrt(chainVar / n), $"sample mean {mean} ≠ {chainMean}");
        Assert.True(Math.Abs(variance - chainVar) < 4 * chainVar * Math.Sqrt(2 / (n - 1)), $"sample variance {variance} ≠ {chainVar}");
        // The chain itself targets the data: mean exact up to α_0 ≈ 1 − 8e-7, variance short by the O(1/T) term above.
        Assert.True(Math.Abs(chainMean - Mu) < 1e-4, $"the exact chain's mean {chainMean} is not μ = {Mu}");
        Assert.InRange(chainVar / (S * S), 0.94, 1.0);
    }
}
