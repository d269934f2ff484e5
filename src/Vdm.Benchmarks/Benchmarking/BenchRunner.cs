using System.Diagnostics;
using System.Runtime.InteropServices;
using Vdm.Diffusion;
using Vdm.Runtime;
using Vdm.Sampling;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Benchmarking;

/// <summary>
/// Measures one named configuration: training steps (forward, backward, gradient clipping, AdamW, EMA) on synthetic
/// batches, sampler steps and whole sampler runs without autograd, analytic FLOPs, the sgemm peak, resident memory
/// and live tensors. Data loading is not timed: batches are uniform random levels drawn before each step.
/// Runs on the calling thread (TorchSharp's dispose scopes are per thread).
/// </summary>
public static class BenchRunner
{
    public static BenchResult Run(string configName, BenchOptions options, Action<string>? progress = null, Device? device = null) =>
        Run(configName, BenchConfigs.Get(configName), BenchConfigs.Describe(configName), options, progress, device);

    /// <param name="device">Where the model runs (default: the CPU); the synthetic batches are drawn on the CPU and
    /// moved by the trainer, as a data set's would be.</param>
    public static BenchResult Run(string name, RunConfig config, string description, BenchOptions options, Action<string>? progress = null, Device? device = null)
    {
        options.Validate();
        config.Validate();
        if (options.Threads > 0) set_num_threads(options.Threads);
        if (options.KeepFreedMemory) MallocSettings.KeepFreedMemory();
        progress ??= _ => { };

        using var model = ModelFactory.Build(config, device);
        using var trainer = new Trainer(model, config.Train, config.Model.NumClasses);
        var dataShape = config.Model.DataShape;
        int batch = config.Train.BatchSize;
        using var dataGenerator = new Generator((ulong)config.Train.Seed + 17);

        progress($"{name}: counting FLOPs");
        var flops = FlopCounter.Count(model.Network, dataShape, batch);
        long forwardPerExample = flops.Forward / batch;

        // The peak is measured three times (before training, between training and sampling, at the end) and the best
        // kept: on a shared machine one short measurement can land in a busy moment.
        progress($"{name}: measuring the sgemm peak ({options.SgemmSize}×{options.SgemmSize})");
        var sgemmRuns = new List<SgemmResult> { SgemmPeak.Measure(options.SgemmSize) };

        progress($"{name}: {options.Warmup} warm-up steps");
        for (int i = 0; i < options.Warmup; i++) TimedStep(trainer, config, dataShape, batch, dataGenerator);
        if (!options.SkipSampling)
        {
            // Warm the no-grad path too, so that the counts below see every lazily created tensor.
            Sample(model, dataShape, batch, 3, ddim: true);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveBefore = Tensor.TotalCount;
        long residentBefore = ProcessStats.ResidentBytes();

        progress($"{name}: {options.Repeats} timed training steps");
        var stepsMs = new double[options.Repeats];
        double finalLoss = double.NaN;
        var cpuStart = ProcessStats.CpuTime();
        for (int i = 0; i < options.Repeats; i++)
        {
            (stepsMs[i], finalLoss) = TimedStep(trainer, config, dataShape, batch, dataGenerator);
            progress($"{name}: training step {i + 1}/{options.Repeats}: {stepsMs[i]:F1} ms");
        }
        double cpuMsPerStep = (ProcessStats.CpuTime() - cpuStart).TotalMilliseconds / options.Repeats;
        double stepMs = Statistics.Median(stepsMs);
        double trainGflops = flops.TrainingStep / (stepMs / 1000) / 1e9;
        sgemmRuns.Add(SgemmPeak.Measure(options.SgemmSize));

        SamplingFigures? sampling = null;
        if (!options.SkipSampling)
        {
            progress($"{name}: DDIM, {options.DdimSteps} steps, batch {batch}");
            var ddim = Sample(model, dataShape, batch, options.DdimSteps, ddim: true);
            progress($"{name}: ancestral sampler, {options.AncestralSteps} steps, batch {batch}");
            var ancestral = Sample(model, dataShape, batch, options.AncestralSteps, ddim: false);
            sampling = new SamplingFigures(batch, ancestral.StepMs, flops.Forward / (ancestral.StepMs / 1000) / 1e9, double.NaN, ancestral, ddim,
                (ancestral.TotalMs / ancestral.Steps) / (ddim.TotalMs / ddim.Steps));
        }
        sgemmRuns.Add(SgemmPeak.Measure(options.SgemmSize));
        var sgemm = new SgemmResult(options.SgemmSize, sgemmRuns.Sum(r => r.Repeats), sgemmRuns.Max(r => r.PeakGflops),
            Statistics.Median(sgemmRuns.Select(r => r.MedianGflops).ToArray()), sgemmRuns.Max(r => r.GflopsPerCpuSecond));
        double trainPerCpu = flops.TrainingStep / (cpuMsPerStep / 1000) / 1e9;
        if (sampling is not null) sampling = sampling with { FractionOfSgemmPeak = sampling.Gflops / sgemm.PeakGflops };
        var training = new TrainingFigures(batch, stepMs, stepsMs.Min(), stepsMs.Max(), stepsMs, cpuMsPerStep, batch / (stepMs / 1000),
            trainGflops, trainGflops / sgemm.PeakGflops, trainPerCpu, trainPerCpu / sgemm.GflopsPerCpuSecond, finalLoss);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveAfter = Tensor.TotalCount;
        long residentAfter = ProcessStats.ResidentBytes();

        SoakFigures? soak = null;
        if (options.Soak > 0) soak = Soak(name, trainer, config, dataShape, batch, dataGenerator, options.Soak, progress);

        var memory = new MemoryFigures(ProcessStats.PeakResidentBytes(), residentBefore, residentAfter, liveBefore, liveAfter, liveBefore == liveAfter);
        return new BenchResult
        {
            Config = name,
            Description = description,
            Timestamp = DateTimeOffset.UtcNow,
            Model = Summarise(config, model),
            Environment = Environment(),
            Settings = options,
            Flops = new FlopSummary(FlopCounter.Convention, forwardPerExample, flops.TrainingStep, flops.Forward,
                flops.OfKind(LayerKind.Conv2d), flops.OfKind(LayerKind.Linear), flops.OfKind(LayerKind.Attention), flops.Layers),
            Sgemm = sgemm,
            Training = training,
            Sampling = sampling,
            Memory = memory,
            Soak = soak,
        };
    }

    private static (double Ms, double Loss) TimedStep(Trainer trainer, RunConfig config, long[] dataShape, int batch, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = randint(0, config.Diffusion.Vocab, [batch, .. dataShape], ScalarType.Byte, generator: generator);
        Tensor? labels = config.Model.NumClasses > 0
            ? randint(0, config.Model.NumClasses, [batch], ScalarType.Int64, generator: generator)
            : null;
        var watch = Stopwatch.StartNew();
        var result = trainer.TrainStep(x, labels);
        watch.Stop();
        return (watch.Elapsed.TotalMilliseconds, result.Loss.Total);
    }

    private static SamplerRun Sample(VariationalDiffusionModel model, long[] dataShape, int batch, int steps, bool ddim)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            var stamps = new double[steps + 1];
            var watch = new Stopwatch();
            SamplerObserver observer = (step, _, _) => stamps[step] = watch.Elapsed.TotalMilliseconds;
            var options = new SamplerOptions { Steps = steps, Seed = 7 };
            watch.Start();
            var samples = ddim
                ? DdimSampler.Sample(model, dataShape, batch, options, observer: observer)
                : AncestralSampler.Sample(model, dataShape, batch, options, observer: observer);
            watch.Stop();
            // Step i's time is the gap between observer calls i−1 and i; step 1 also carries z_1's draw, so skip it.
            var perStep = Enumerable.Range(2, steps - 1).Select(i => stamps[i] - stamps[i - 1]).ToArray();
            int tenth = Math.Max(1, perStep.Length / 10);
            double total = watch.Elapsed.TotalMilliseconds;
            return new SamplerRun(ddim ? "ddim" : "ancestral", steps, batch, total, Statistics.Median(perStep),
                Statistics.Median(perStep.Take(tenth).ToArray()), Statistics.Median(perStep.TakeLast(tenth).ToArray()),
                batch / (total / 1000));
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Steps between releases of the kept heap in a soak: the default presets' checkpoint interval.</summary>
    public const int SoakReleaseEvery = 100;

    private static SoakFigures Soak(string name, Trainer trainer, RunConfig config, long[] dataShape, int batch, Generator generator,
        int steps, Action<string> progress)
    {
        int every = Math.Max(1, steps / 50);
        var points = new List<SoakPoint>();
        var times = new List<double>();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        points.Add(new SoakPoint(0, ProcessStats.ResidentBytes(), Tensor.TotalCount));
        for (int i = 1; i <= steps; i++)
        {
            times.Add(TimedStep(trainer, config, dataShape, batch, generator).Ms);
            if (i % every == 0 || i == steps)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                points.Add(new SoakPoint(i, ProcessStats.ResidentBytes(), Tensor.TotalCount));
                progress($"{name}: soak step {i}/{steps}: resident {points[^1].ResidentBytes / 1048576.0:F1} MiB, {points[^1].LiveTensors} live tensors");
            }
            // As `vdm train` does at its checkpoints; after the reading, so every reading follows at least one whole
            // step since the last release.
            if (i % SoakReleaseEvery == 0) MallocSettings.ReleaseFreedMemory();
        }
        long start = points[0].ResidentBytes, end = points[^1].ResidentBytes;
        double MedianOf(Func<SoakPoint, bool> which, SoakPoint fallback)
        {
            var chosen = points.Where(which).Select(p => (double)p.ResidentBytes).ToArray();
            return chosen.Length > 0 ? Statistics.Median(chosen) : fallback.ResidentBytes;
        }
        double settled = MedianOf(p => p.Step >= 0.1 * steps && p.Step <= 0.2 * steps, points[0]);
        double last = MedianOf(p => p.Step >= 0.9 * steps, points[^1]);
        return new SoakFigures(steps, start, end, points.Max(p => p.ResidentBytes), 100.0 * (end - start) / start, 100.0 * (last - settled) / settled,
            points[0].LiveTensors, points[^1].LiveTensors, points.All(p => p.LiveTensors == points[0].LiveTensors),
            Statistics.Median(times), points);
    }

    private static ModelSummary Summarise(RunConfig config, VariationalDiffusionModel model)
    {
        var m = config.Model;
        long parameters = model.parameters().Sum(p => p.numel());
        return new ModelSummary(m.Network.ToString(), m.Channels, m.ChannelMultipliers, m.Blocks, m.Attention, m.FourierFeatures, m.Dropout,
            m.DataShape, config.Train.BatchSize, parameters, config.Schedule.Kind.ToString(),
            config.Diffusion.TimeSteps == 0 ? "continuous" : $"discrete T={config.Diffusion.TimeSteps}",
            model.DType.ToString(), "contiguous");
    }

    private static EnvironmentInfo Environment() => new(
        ProcessStats.CpuModel(), ProcessStats.CpuFeatures(), System.Environment.ProcessorCount, get_num_threads(), get_num_interop_threads(),
        OpenMpSettings.WaitPolicy ?? "default", MallocSettings.Applied, ProcessStats.LoadAverage(), __version__, typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "unknown",
        RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, ConvolutionBackend.EnsureCorrect().Describe());
}
