using TorchSharp;
using Vdm.Schedules;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Schedules;

public class ScheduleTests
{
    private const double GammaMin = -13.3, GammaMax = 5.0;

    public static TheoryData<ScheduleKind> Kinds => new() { ScheduleKind.FixedLinear, ScheduleKind.LearnedScalar, ScheduleKind.MonotoneNet };

    private static NoiseSchedule Make(ScheduleKind kind) =>
        NoiseSchedule.Create(new ScheduleConfig { Kind = kind, GammaMin = GammaMin, GammaMax = GammaMax, Features = 64 });

    private static void Randomise(NoiseSchedule schedule, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var p in schedule.parameters())
            p.add_(randn(p.shape, p.dtype, generator: generator) * 2.0);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EndpointsEqualTheirInitialValues(ScheduleKind kind)
    {
        using var scope = NewDisposeScope();
        using var schedule = Make(kind);
        var ends = schedule.Endpoints(dtype: ScalarType.Float64);
        Assert.Equal(GammaMin, ends[0].item<double>(), 4);
        Assert.Equal(GammaMax, ends[1].item<double>(), 4);
    }

    [Fact]
    public void MonotoneNetStartsCloseToTheLinearSchedule()
    {
        using var scope = NewDisposeScope();
        using var schedule = Make(ScheduleKind.MonotoneNet).to(ScalarType.Float64);
        var t = linspace(0, 1, 101, ScalarType.Float64);
        var linear = t * (GammaMax - GammaMin) + GammaMin;
        var maxGap = (schedule.forward(t) - linear).abs().max().item<double>();
        Assert.True(maxGap < 1e-3 * (GammaMax - GammaMin), $"max |γ − linear| = {maxGap}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GammaIsStrictlyIncreasingForRandomParameters(ScheduleKind kind)
    {
        for (long seed = 1; seed <= 5; seed++)
        {
            using var scope = NewDisposeScope();
            using var schedule = Make(kind).to(ScalarType.Float64);
            Randomise(schedule, seed);
            var t = linspace(0, 1, 2001, ScalarType.Float64);
            var gamma = schedule.forward(t);
            var steps = gamma[TensorIndex.Slice(1)] - gamma[TensorIndex.Slice(0, -1)];
            Assert.True(steps.min().item<double>() > 0, $"{kind}, seed {seed}: γ decreases somewhere");
            Assert.True(schedule.Derivative(t).min().item<double>() > 0, $"{kind}, seed {seed}: dγ/dt ≤ 0 somewhere");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DerivativeMatchesFiniteDifferenceAndAutograd(ScheduleKind kind)
    {
        using var scope = NewDisposeScope();
        using var schedule = Make(kind).to(ScalarType.Float64);
        Randomise(schedule, 7);
        using var generator = new Generator(3);
        var t = rand(64, ScalarType.Float64, generator: generator) * 0.98 + 0.01;
        const double h = 1e-6;
        var finite = (schedule.forward(t + h) - schedule.forward(t - h)) / (2 * h);
        var analytic = schedule.Derivative(t);
        AssertClose(finite, analytic, 1e-6, "finite difference");

        var tg = t.clone().requires_grad_(true);
        var autograd = torch.autograd.grad([schedule.forward(tg).sum()], [tg])[0];
        AssertClose(autograd, analytic, 1e-9, "autograd");
    }

    [Theory]
    [InlineData(-20.0)]
    [InlineData(-13.3)]
    [InlineData(0.0)]
    [InlineData(5.0)]
    [InlineData(20.0)]
    public void VarianceTermsAreConsistent(double g)
    {
        using var scope = NewDisposeScope();
        var gamma = tensor(new[] { g }, ScalarType.Float64);
        var alpha2 = VarianceTerms.Alpha2(gamma).item<double>();
        var sigma2 = VarianceTerms.Sigma2(gamma).item<double>();
        Assert.Equal(1.0, alpha2 + sigma2, 12);
        // Independent forms: σ² = 1/(1 + e^−γ), SNR = α²/σ² = e^−γ.
        Assert.Equal(1.0 / (1.0 + Math.Exp(-g)), sigma2, 12);
        Assert.Equal(Math.Exp(-g), VarianceTerms.Snr(gamma).item<double>(), Math.Exp(-g) * 1e-12);
        Assert.Equal(Math.Log(alpha2), VarianceTerms.LogAlpha2(gamma).item<double>(), 9);
        Assert.Equal(Math.Log(sigma2), VarianceTerms.LogSigma2(gamma).item<double>(), 9);
        Assert.Equal(Math.Sqrt(alpha2), VarianceTerms.Alpha(gamma).item<double>(), 12);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double relTol, string what)
    {
        var err = ((expected - actual).abs() / (expected.abs() + 1e-12)).max().item<double>();
        Assert.True(err < relTol, $"{what}: max relative error {err}");
    }
}
