using TorchSharp;
using Vdm.Diffusion;
using Vdm.Schedules;
using Vdm.Tests.Cli;
using Vdm.Tests.Support;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Schedules;

/// <summary>
/// The monotone schedule's shape trained to minimise the variance of the diffusion-loss estimate, the endpoints on the
/// bound (VDM Appendix I.2; <see cref="MonotoneNetSchedule.MinimiseVariance"/>). One backward pass of the batch mean
/// of bits/dim, the trainer's loss, must give: the shape η the gradient of mean_i L_i² (L_i the example's diffusion
/// term in bits/dim), the endpoints (b, w) the bound's gradient, and with the switch off the shape the bound's gradient.
/// Everything in float64 with every random draw fixed by a seed, so each loss is a smooth function of the parameters.
/// </summary>
public class VarianceMinimisationTests(ITestOutputHelper output)
{
    private static readonly string[] ShapeNames = ["inner", "offset", "outer"];

    private static VariationalDiffusionModel Model(KPointData data, bool minimise)
    {
        var schedule = (MonotoneNetSchedule)NoiseSchedule.Create(new ScheduleConfig { Kind = ScheduleKind.MonotoneNet, Features = 16, MinimiseVariance = minimise });
        var model = new VariationalDiffusionModel(schedule, new KPointOracle(data.Encoded()), new DiffusionConfig { Vocab = 256 });
        model.to(ScalarType.Float64);
        // A visibly curved shape (the initial v ~ 1e-3 leaves g(t) within 1e-3 of t).
        using (no_grad())
        {
            var outer = model.Schedule.named_parameters().Single(p => p.name == "outer").parameter;
            using var generator = new Generator(4);
            outer.copy_(rand(outer.shape, ScalarType.Float64, generator: generator) * 3);
        }
        return model;
    }

    private static Tensor Batch(KPointData data)
    {
        using var batches = new Generator(2);
        return data.Batch(16, batches).X;
    }

    private static LossTerms Terms(VariationalDiffusionModel model, Tensor x)
    {
        using var generator = new Generator(13);
        return model.Loss(x, generator: generator);
    }

    /// <summary>The gradients after one backward pass of what <see cref="Trainer"/> minimises: the batch mean of bits/dim.</summary>
    private static Dictionary<string, double[]> TrainerGradients(VariationalDiffusionModel model, Tensor x)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        using (var terms = Terms(model, x)) terms.MeanObjective().backward();
        return Gradients(model);
    }

    private static Dictionary<string, double[]> Gradients(VariationalDiffusionModel model) =>
        model.Schedule.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.to(ScalarType.Float64).data<double>().ToArray());

    private static double MeanSquaredDiffusion(VariationalDiffusionModel model, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var terms = Terms(model, x);
        return terms.ToBitsPerDim(terms.Diffusion).square().mean().item<double>();
    }

    private static double MeanBound(VariationalDiffusionModel model, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var terms = Terms(model, x);
        return terms.MeanBitsPerDim().item<double>();
    }

    /// <summary>Central finite difference of <paramref name="f"/> in one element of one schedule parameter.</summary>
    private static double FiniteDifference(VariationalDiffusionModel model, string name, int index, Func<double> f, double h)
    {
        var p = model.Schedule.named_parameters().Single(q => q.name == name).parameter;
        using var noGrad = no_grad();
        using var element = p.view(-1)[index];
        element.add_(h);
        double up = f();
        element.sub_(2 * h);
        double down = f();
        element.add_(h);
        return (up - down) / (2 * h);
    }

    private static double RelativeError(double[] a, double[] b) =>
        Math.Sqrt(a.Zip(b).Sum(p => (p.First - p.Second) * (p.First - p.Second))) / Math.Sqrt(b.Sum(v => v * v));

    [Fact]
    public void ShapeGetsTheGradientOfTheMeanSquaredDiffusionLoss()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(data, minimise: true);
        var x = Batch(data);
        var scaled = TrainerGradients(model, x);

        // Independent: autograd of mean_i L_i² itself, with the switch off (no gradient scaling anywhere).
        var schedule = (MonotoneNetSchedule)model.Schedule;
        schedule.MinimiseVariance = false;
        model.zero_grad();
        using (var terms = Terms(model, x)) terms.ToBitsPerDim(terms.Diffusion).square().mean().backward();
        var direct = Gradients(model);
        foreach (var name in ShapeNames)
        {
            double error = RelativeError(scaled[name], direct[name]);
            output.WriteLine($"{name}: |scaled − d mean(L²)/dη| / |d mean(L²)/dη| = {error:E2} (norm {Math.Sqrt(direct[name].Sum(v => v * v)):E3})");
            // Float64, the same operations in another order: measured ≤ 1e-15. Scaling by L instead of 2L gives 0.5,
            // no scaling gives ~1 (the bound's gradient is a different vector).
            Assert.True(error < 1e-10, $"{name}: the shape's gradient is not d mean(L²)/dη (relative error {error})");
        }

        // And against finite differences of mean_i L_i², a few elements of each shape parameter.
        schedule.MinimiseVariance = true;
        foreach (var name in ShapeNames)
        {
            foreach (var index in new[] { 0, 7, 15 })
            {
                double fd = FiniteDifference(model, name, index, () => MeanSquaredDiffusion(model, x), 1e-5);
                double autograd = scaled[name][index];
                output.WriteLine($"{name}[{index}]: scaled gradient {autograd:E6}, finite difference of mean(L²) {fd:E6}");
                // Central difference, h = 1e-5: truncation ~h²|f'''| and rounding ~1e-16|f|/h, both ≤ 1e-8 here.
                Assert.True(Math.Abs(autograd - fd) < 1e-6 * Math.Abs(fd) + 1e-8, $"{name}[{index}]: {autograd} ≠ finite difference {fd}");
            }
        }
    }

    [Fact]
    public void EndpointsStillGetTheBoundsGradient()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(data, minimise: true);
        var x = Batch(data);
        var scaled = TrainerGradients(model, x);
        foreach (var name in new[] { "bias", "weight" })
        {
            double fd = FiniteDifference(model, name, 0, () => MeanBound(model, x), 1e-4);
            double autograd = scaled[name][0];
            output.WriteLine($"{name}: gradient with variance minimisation {autograd:E8}, finite difference of the bound {fd:E8}");
            // As ScheduleGradientTests: measured ≤ 2e-7 relative. Scaling γ instead of g(t) by 2L changes it by ~100%.
            Assert.True(Math.Abs(autograd - fd) < 1e-6 * Math.Abs(fd) + 1e-7, $"d(bound)/d({name}) = {autograd}, finite difference {fd}");
        }
    }

    [Fact]
    public void WithTheSwitchOffTheShapeGetsTheBoundsGradient()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(data, minimise: false);
        var x = Batch(data);
        var plain = TrainerGradients(model, x);
        foreach (var name in ShapeNames)
        {
            foreach (var index in new[] { 0, 7, 15 })
            {
                double fd = FiniteDifference(model, name, index, () => MeanBound(model, x), 1e-5);
                double autograd = plain[name][index];
                output.WriteLine($"{name}[{index}]: gradient {autograd:E6}, finite difference of the bound {fd:E6}");
                Assert.True(Math.Abs(autograd - fd) < 1e-6 * Math.Abs(fd) + 1e-9, $"{name}[{index}]: {autograd} ≠ finite difference of the bound {fd}");
            }
        }

        // The same values either way: the switch changes gradients only.
        double off = MeanBound(model, x);
        ((MonotoneNetSchedule)model.Schedule).MinimiseVariance = true;
        double on = MeanBound(model, x);
        Assert.Equal(off, on);
    }

    [Fact]
    public void BackwardAfterTheTermsAreDisposedGivesTheShapeNoGradientAndDoesNotCrash()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(data, minimise: true);
        var x = Batch(data);
        model.zero_grad();
        Tensor loss;
        using (var terms = Terms(model, x)) loss = terms.MeanObjective();
        loss.backward(); // an exception inside libtorch's backward would end the test process
        var grads = Gradients(model);
        foreach (var name in ShapeNames) Assert.All(grads[name], g => Assert.Equal(0.0, g));
        Assert.NotEqual(0.0, grads["bias"][0]);
    }

    [Fact]
    public void TrainingWithAWeightingOrInDiscreteTimeIsRefused()
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        var x = Batch(data);
        foreach (var config in new[] { new DiffusionConfig { Vocab = 256, Weighting = Weighting.Sigmoid }, new DiffusionConfig { Vocab = 256, TimeSteps = 10 } })
        {
            var schedule = new MonotoneNetSchedule(features: 4) { MinimiseVariance = true };
            using var model = new VariationalDiffusionModel(schedule, new KPointOracle(data.Encoded()), config);
            model.to(ScalarType.Float64);
            Assert.Throws<InvalidOperationException>(() => Terms(model, x).Dispose());
            using (no_grad()) Terms(model, x).Dispose(); // evaluation is fine
        }
    }

    [Fact]
    public void ConfigRoundTripsTheSwitchAndOldConfigsLoadWithItOff()
    {
        var config = new RunConfig { Schedule = new ScheduleConfig { Kind = ScheduleKind.MonotoneNet, Features = 8, MinimiseVariance = true }, Diffusion = new DiffusionConfig { Weighting = Weighting.Vlb } };
        var json = config.ToJson();
        Assert.Contains("\"minimiseVariance\": true", json);
        var back = RunConfig.FromJson(json);
        Assert.True(back.Schedule.MinimiseVariance);
        Assert.Equal(config.Schedule, back.Schedule);
        back.Validate();
        using (var schedule = NoiseSchedule.Create(back.Schedule))
            Assert.True(((MonotoneNetSchedule)schedule).MinimiseVariance);

        var old = json.Replace("\"minimiseVariance\": true,", "").Replace(",\n    \"minimiseVariance\": true", "");
        Assert.DoesNotContain("minimiseVariance", old);
        var loaded = RunConfig.FromJson(old);
        Assert.False(loaded.Schedule.MinimiseVariance);
        using (var schedule = NoiseSchedule.Create(loaded.Schedule))
            Assert.False(((MonotoneNetSchedule)schedule).MinimiseVariance);

        Assert.Throws<ArgumentException>(() => (config with { Schedule = config.Schedule with { Kind = ScheduleKind.LearnedScalar } }).Validate());
        Assert.Throws<ArgumentException>(() => (config with { Diffusion = config.Diffusion with { Weighting = Weighting.Sigmoid } }).Validate());
    }

    [Fact]
    public async Task TrainRefusesTheSwitchWithoutTheMonotoneSchedule()
    {
        var run = Path.Combine(Path.GetTempPath(), $"vdm-variance-{Guid.NewGuid():N}");
        // --steps 1 and no evaluation or samples: if the switch were dropped, this would train one step, not hang.
        var result = await CliHarness.Run("train", "--preset", "swirl", "--schedule", "learned", "--minimise-variance", "on", "--run", run,
            "--steps", "1", "--eval-every", "0", "--sample-every", "0");
        bool made = Directory.Exists(run);
        if (made) Directory.Delete(run, recursive: true);
        result.AssertUsageError("minimise-variance", "monotone");
        Assert.False(made);
    }
}
