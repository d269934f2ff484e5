using Vdm.Diffusion;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// For a fixed model, the discrete-time diffusion term with T steps converges to the continuous-time one as T grows,
/// and doubling T never makes the expected bound worse (VDM §4.2). Expectations over t are computed exactly on the
/// grid (every step evaluated, with the same examples and noise for every t: common random numbers), so the only
/// Monte-Carlo error is over (x, ε), shared by all T.
/// </summary>
public class DiscreteTimeTests(ITestOutputHelper output)
{
    private const int Examples = 500;

    private static double DiffusionMean(VariationalDiffusionModel model, Tensor x, double u)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(123); // same ε for every t
        using var terms = model.Loss(x, generator: generator, u: full(x.shape[0], u, ScalarType.Float64));
        return terms.Diffusion.mean().item<double>();
    }

    private static double DiscreteBound(KPointData data, Tensor x, int steps)
    {
        using var model = MakeModel(data, steps);
        // E_t over the T grid steps: u = (i + ½)/T selects step i + 1.
        return Enumerable.Range(0, steps).Average(i => DiffusionMean(model, x, (i + 0.5) / steps));
    }

    private static VariationalDiffusionModel MakeModel(KPointData data, int steps) =>
        new(new FixedLinearSchedule(-10.0, 6.0), new KPointOracle(data.Encoded()),
            new DiffusionConfig { Vocab = data.Vocab, TimeSteps = steps }, ScalarType.Float64);

    [Fact]
    public void DiscreteBoundDecreasesWithTAndConvergesToContinuous()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 6, shape: [6], vocab: 64, seed: 8);
        using var generator = new Generator(5);
        var (x, _) = data.Batch(Examples, generator);

        double continuous;
        using (var model = MakeModel(data, 0))
        {
            const int points = 1024; // midpoint rule for ∫₀¹ ½ γ'(t) E‖ε − ε̂‖² dt
            continuous = Enumerable.Range(0, points).Average(i => DiffusionMean(model, x, (i + 0.5) / points));
        }

        var bounds = new SortedDictionary<int, double>();
        for (int steps = 2; steps <= 256; steps *= 2) bounds[steps] = DiscreteBound(data, x, steps);
        foreach (var (steps, bound) in bounds) output.WriteLine($"T={steps,4}: {bound:F6} nats (continuous {continuous:F6})");

        int previous = 0;
        foreach (var (steps, bound) in bounds)
        {
            if (previous > 0)
                Assert.True(bound <= bounds[previous] + 1e-9, $"T={steps} gives {bound}, worse than T={previous}: {bounds[previous]}");
            Assert.True(bound >= continuous - 1e-3 * Math.Abs(continuous), $"T={steps} gives {bound}, below the continuous {continuous}");
            previous = steps;
        }
        Assert.True(bounds[2] - continuous > 0.05 * continuous, "T=2 should be clearly worse than continuous time");
        // The gap to continuous time shrinks like 1/T: it at least halves (up to 20%) per doubling once T ≥ 32.
        for (int steps = 64; steps <= 256; steps *= 2)
        {
            double ratio = (bounds[steps / 2] - continuous) / (bounds[steps] - continuous);
            Assert.True(ratio > 1.6, $"gap ratio T={steps / 2} → {steps} is {ratio:F2}; the discrete bound is not converging");
        }
        Assert.True(bounds[256] - continuous < 0.04 * continuous, $"T=256 gives {bounds[256]}, continuous {continuous}");
    }
}
