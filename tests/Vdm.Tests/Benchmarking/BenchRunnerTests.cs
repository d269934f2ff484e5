using System.Text.Json;
using Vdm.Benchmarking;
using Vdm.Networks;
using Vdm.Schedules;
using Vdm.Training;
using Xunit;

namespace Vdm.Tests.Benchmarking;

/// <summary>What the bench reports, on a tiny model. No test here asserts a time.</summary>
public class BenchRunnerTests
{
    [Fact]
    public void NamedConfigurationsAreWhatTheIssueAsksFor()
    {
        Assert.Equal(new[] { "bench-vdm", "bench-default", "bench-cifar", "bench-monotone", "bench-monotone-variance" }, BenchConfigs.Names);

        var vdm = BenchConfigs.Get("bench-vdm");
        Assert.Equal(NetworkKind.VdmUNet, vdm.Model.Network);
        Assert.Equal(32, vdm.Model.Channels);
        Assert.Equal(2, vdm.Model.Blocks);
        Assert.True(vdm.Model.FourierFeatures);
        Assert.True(vdm.Model.Attention);
        Assert.Equal(new long[] { 1, 28, 28 }, vdm.Model.DataShape);
        Assert.Equal(32, vdm.Train.BatchSize);
        Assert.Equal(0, vdm.Diffusion.TimeSteps);
        Assert.Equal(ScheduleKind.LearnedScalar, vdm.Schedule.Kind);

        var mnist = Presets.Get("mnist");
        Assert.Equal((mnist with { Train = mnist.Train with { BatchSize = 64 } }).ToJson(), BenchConfigs.Get("bench-default").ToJson());
        Assert.Equal(64, BenchConfigs.Get("bench-monotone").Train.BatchSize);

        var cifar = BenchConfigs.Get("bench-cifar");
        Assert.Equal(new long[] { 3, 32, 32 }, cifar.Model.DataShape);
        Assert.Equal(32, cifar.Train.BatchSize);

        Assert.Throws<ArgumentException>(() => BenchConfigs.Get("bench-nope"));
    }

    [Fact]
    public void JsonHasEveryFieldAndLiveTensorsStayFlat()
    {
        var config = Presets.Get("tiny") with
        {
            Model = Presets.Get("tiny").Model with { DataShape = [1, 8, 8], Attention = true },
            Train = Presets.Get("tiny").Train with { BatchSize = 2 },
        };
        var options = new BenchOptions { Warmup = 1, Repeats = 2, AncestralSteps = 4, DdimSteps = 3, SgemmSize = 64, Soak = 4 };
        var result = BenchRunner.Run("tiny-test", config, "tiny model for the JSON test", options);

        using var json = JsonDocument.Parse(result.ToJson());
        var root = json.RootElement;
        string[] paths =
        [
            "config", "timestamp",
            "training.stepMs", "training.imagesPerSecond", "training.gflops", "training.fractionOfSgemmPeak", "training.stepsMs",
            "sampling.stepMs", "sampling.gflops", "sampling.fractionOfSgemmPeak",
            "sampling.ancestral.totalMs", "sampling.ancestral.imagesPerSecond", "sampling.ancestral.steps",
            "sampling.ddim.totalMs", "sampling.ddim.imagesPerSecond", "sampling.ddim.steps",
            "flops.trainingStep", "flops.samplerStep", "flops.convention", "flops.layers",
            "sgemm.peakGflops", "sgemm.size",
            "memory.peakResidentBytes", "memory.liveTensorsBefore", "memory.liveTensorsAfter",
            "environment.threads", "environment.libtorch", "environment.cpuModel",
            "soak.residentGrowthPercent", "soak.settledGrowthPercent", "soak.liveTensorsStart", "soak.liveTensorsEnd", "soak.points",
        ];
        foreach (var path in paths)
        {
            var element = root;
            foreach (var part in path.Split('.'))
                Assert.True(element.TryGetProperty(part, out element), $"JSON lacks {path}");
            Assert.NotEqual(JsonValueKind.Null, element.ValueKind);
        }

        Assert.Equal(3 * result.Flops.SamplerStep, result.Flops.TrainingStep);
        Assert.Equal(4, result.Sampling!.Ancestral.Steps);
        Assert.Equal(result.Memory.LiveTensorsBefore, result.Memory.LiveTensorsAfter);
        Assert.True(result.Soak!.LiveTensorsFlat);
        Assert.True(result.Memory.PeakResidentBytes > 0);
        Assert.True(result.Sgemm.PeakGflops > 0);
    }

    [Fact]
    public void LiveTensorsStayFlatWhenTheScheduleMinimisesVariance()
    {
        // Every training step goes through the shape's custom autograd function (ShapeGradientScale).
        var tiny = Presets.Get("tiny");
        var config = tiny with
        {
            Model = tiny.Model with { DataShape = [1, 8, 8] },
            Schedule = tiny.Schedule with { Kind = Vdm.Schedules.ScheduleKind.MonotoneNet, Features = 16, MinimiseVariance = true },
            Diffusion = tiny.Diffusion with { Weighting = Vdm.Diffusion.Weighting.Vlb },
            Train = tiny.Train with { BatchSize = 2 },
        };
        var options = new BenchOptions { Warmup = 1, Repeats = 2, SgemmSize = 64, Soak = 4, SkipSampling = true };
        var result = BenchRunner.Run("tiny-variance", config, "tiny model, variance-minimising schedule", options);
        Assert.Equal(result.Memory.LiveTensorsBefore, result.Memory.LiveTensorsAfter);
        Assert.True(result.Soak!.LiveTensorsFlat);
    }
}
