using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Sampling;
using Vdm.Schedules;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Diffusion;

/// <summary>
/// Classifier-free guidance and the x/v parameterisations on denoisers whose outputs are known: the guided ε̂ must be
/// (1 + w) ε̂(z; c) − w ε̂(z; ∅) (Ho and Salimans 2022), and an x- or v-prediction network that outputs the true
/// x or v of a z built from known (x, ε) must give back exactly that ε (z = α x + σ ε, v = α ε − σ x).
/// </summary>
public class GuidanceAndPredictionTests
{
    private const int NullClass = 3;
    private static readonly double[] ClassOutput = [0.3, -1.2, 2.5, 0.7]; // classes 0, 1, 2 and the null class 3

    /// <summary>ε̂(z; c) = a_c + 0.1 z: a known constant per class, plus a term that ties each row to its own z.</summary>
    private sealed class ClassConstantDenoiser() : Denoiser(nameof(ClassConstantDenoiser))
    {
        public List<long[]> SeenLabels { get; } = [];

        public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
        {
            var classes = labels ?? full(z.shape[0], NullClass, ScalarType.Int64);
            SeenLabels.Add(classes.data<long>().ToArray());
            var a = tensor(ClassOutput, z.dtype).index_select(0, classes);
            return VarianceTerms.PerExample(a, z.dim()) + 0.1 * z;
        }
    }

    /// <summary>Returns a fixed tensor as its raw prediction of the given kind.</summary>
    private sealed class FixedOutputDenoiser(Prediction prediction, Tensor output) : Denoiser(nameof(FixedOutputDenoiser))
    {
        public override Prediction Prediction => prediction;

        public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels) => output.alias();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void GuidedEpsHatIsOnePlusWTimesConditionalMinusWTimesUnconditional(double w)
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(), new ClassConstantDenoiser(), emptyModelType: ScalarType.Float64);
        using var generator = new Generator(3);
        var z = randn([3, 2, 2], ScalarType.Float64, generator: generator);
        var gamma = tensor(new[] { -6.0, 0.0, 4.0 }, ScalarType.Float64);
        var labels = tensor(new long[] { 0, 2, 1 });
        var guided = model.GuidedEpsHat(z, gamma, labels, w, NullClass);

        for (int b = 0; b < 3; b++)
        {
            double conditional = ClassOutput[labels[b].item<long>()], unconditional = ClassOutput[NullClass];
            var expected = (1 + w) * conditional - w * unconditional + 0.1 * z[b];
            // Float64: a few rounded operations on values ≤ 10 give ≤ 1e-14; exchanging the branches moves the result by
            // (1 + 2w)|a_c − a_∅| ≥ 0.4 for every row and w > 0.
            double gap = (guided[b] - expected).abs().max().item<double>();
            Assert.True(gap < 1e-12, $"w = {w}, row {b}: guided ε̂ is {gap} away from (1 + w) ε̂_c − w ε̂_∅");
        }
    }

    [Fact]
    public void SamplerAsksForTheConditionalAndTheNullClassWhenGuided()
    {
        using var scope = NewDisposeScope();
        var denoiser = new ClassConstantDenoiser();
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(), denoiser, emptyModelType: ScalarType.Float64);
        var labels = tensor(new long[] { 2, 0 });
        var options = new SamplerOptions { Steps = 2, Seed = 1, GuidanceScale = 1.5, NumClasses = NullClass };
        AncestralSampler.Sample(model, [3], 2, options, labels);
        Assert.Equal(2, denoiser.SeenLabels.Count);
        foreach (var seen in denoiser.SeenLabels) Assert.Equal(new long[] { 2, 0, NullClass, NullClass }, seen);
        denoiser.SeenLabels.Clear();
        AncestralSampler.Sample(model, [3], 2, options with { GuidanceScale = 0 }, labels);
        foreach (var seen in denoiser.SeenLabels) Assert.Equal(new long[] { 2, 0 }, seen); // w = 0: one conditional call
    }

    [Theory]
    [InlineData(Prediction.Eps)]
    [InlineData(Prediction.X)]
    [InlineData(Prediction.V)]
    public void PredictionOfTheTrueTargetGivesBackTheTrueNoise(Prediction prediction)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var x = rand([4, 5], ScalarType.Float64, generator: generator) * 2 - 1;  // encoded data in (−1, 1)
        var eps = randn([4, 5], ScalarType.Float64, generator: generator);
        var gamma = tensor(new[] { -10.0, -2.0, 0.0, 3.0 }, ScalarType.Float64);
        var g = gamma.unsqueeze(1);
        var alpha = VarianceTerms.Alpha(g);
        var sigma = VarianceTerms.Sigma(g);
        var z = alpha * x + sigma * eps;                                         // VDM eq. 1
        var target = prediction switch
        {
            Prediction.Eps => eps,
            Prediction.X => x,
            _ => alpha * eps - sigma * x,                                        // v (Salimans and Ho 2022)
        };
        using var model = new VariationalDiffusionModel(new FixedLinearSchedule(), new FixedOutputDenoiser(prediction, target), emptyModelType: ScalarType.Float64);
        var epsHat = model.EpsHat(z, gamma);
        // Float64 values ≤ 5 through a handful of operations, then (for x) a division by σ ≥ σ(−10) = 6.7e-3:
        // error ≤ ~4·5·1.1e-16/6.7e-3 ≈ 3e-13. Exchanging α and σ, or a sign, is off by ≥ 1e-2.
        double gap = (epsHat - eps).abs().max().item<double>();
        Assert.True(gap < 1e-11, $"{prediction}: ε̂ from the true target is {gap} away from ε");
        double xGap = (Parameterization.ToXHat(epsHat, z, gamma) - x).abs().max().item<double>();
        Assert.True(xGap < 1e-11, $"{prediction}: x̂ = (z − σ ε̂)/α is {xGap} away from x");
    }
}
