using System.Diagnostics;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Distributed;
using Vdm.Evaluation;
using Vdm.Persistence;
using Vdm.Runtime;
using Vdm.Sampling;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// A training run in a folder: creates or resumes it, trains with periodic metrics, evaluation, sample grids and
/// atomic checkpoints, and stops cleanly on cancellation (writing a checkpoint first). Only one process may train
/// a run folder at a time (<see cref="RunFolder.Lock"/>).
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly RunFolder folder;
    private readonly Dataset train;
    private readonly Dataset? test;
    private readonly IDisposable runLock;
    private readonly BatchSchedule batches;
    private readonly MetricsLog? metrics; // rank 0's only

    private TrainingRun(RunFolder folder, RunConfig config, Dataset train, Dataset? test, IDisposable runLock, IProcessGroup? group = null, Device? device = null)
    {
        Group = group ?? SingleProcessGroup.Instance;
        this.folder = folder;
        this.train = train;
        this.test = test;
        this.runLock = runLock;
        Config = config;
        if (config.Train.Threads > 0) set_num_threads(config.Train.Threads);
        Model = ModelFactory.Build(config, device); // before the trainer: moving a model replaces its parameters
        Trainer = new Trainer(Model, config.Train, config.Model.NumClasses, Group);
        batches = new BatchSchedule(config.Train.Seed, train.Count, config.Train.BatchSize);
        if (!Group.IsRoot()) return; // only rank 0 writes into the run folder
        System.IO.Directory.CreateDirectory(folder.CheckpointDir);
        System.IO.Directory.CreateDirectory(folder.SamplesDir);
        metrics = new MetricsLog(folder.MetricsPath, folder.TensorBoardDir);
    }

    public RunConfig Config { get; }

    public string Directory => folder.Root;

    public VariationalDiffusionModel Model { get; }

    public Trainer Trainer { get; }

    public long Step => Trainer.Step;

    /// <summary>
    /// Writes the sample grid drawn at each checkpoint (samples/step-NNNNNNNN.png). The core has no image codec:
    /// pass <c>Vdm.Imaging.SampleImages.SaveGrid</c> (what <c>vdm train</c> does); null draws no samples.
    /// </summary>
    public SampleGridWriter? SaveGrid { get; set; }

    /// <summary>Where the sample-quality classifier is cached (<see cref="RunConfig.FinalSampleQuality"/>); null: <see cref="CacheRoot.Default"/>.</summary>
    public string? ClassifierCacheRoot { get; set; }

    /// <summary>The processes training this run together (data parallelism, docs/distributed.md).</summary>
    public IProcessGroup Group { get; }

    /// <summary>Starts a new run in <paramref name="runDir"/>, which must not exist or be empty.</summary>
    /// <remarks>In a group of processes only rank 0 touches the folder; the others hold no lock and write nothing.
    /// The model trains on <paramref name="device"/> (default: the CPU); the data sets stay on the CPU and each batch is moved.</remarks>
    public static TrainingRun Create(string runDir, RunConfig config, Dataset train, Dataset? test, IProcessGroup? group = null, Device? device = null)
    {
        config.Validate();
        CheckData(config, train, test);
        var folder = new RunFolder(runDir);
        if (group is not null && !group.IsRoot()) return new TrainingRun(folder, config, train, test, NoLock.Instance, group, device);
        // A folder holding only the lock of a process killed while it was starting counts as empty.
        if (!folder.HoldsOnlyStaleLock())
            throw new ArgumentException($"{folder.Root}: the run folder exists and is not empty (use --resume to continue it, or another --run)");
        var runLock = folder.Lock();
        try
        {
            folder.RemovePartialWrites();
            AtomicFile.WriteAllBytes(folder.ConfigPath, System.Text.Encoding.UTF8.GetBytes(config.ToJson()));
            return new TrainingRun(folder, config, train, test, runLock, group, device);
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>The config of an existing run (its <c>config.json</c>).</summary>
    public static RunConfig ReadConfig(string runDir)
    {
        var folder = new RunFolder(runDir);
        if (!File.Exists(folder.ConfigPath)) throw new FileNotFoundException($"{folder.ConfigPath}: no such file (is {folder.Root} a run folder?)", folder.ConfigPath);
        try
        {
            var config = RunConfig.FromJson(File.ReadAllText(folder.ConfigPath));
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
        {
            throw new ArgumentException($"{folder.ConfigPath}: invalid run config: {e.Message}", e);
        }
    }

    /// <summary>
    /// Continues a run from its newest valid checkpoint (newer corrupt ones are reported and skipped). Optional
    /// overrides may change the step budget, wall-clock budget and threads, nothing that alters the model.
    /// </summary>
    /// <remarks>In a group of processes every rank reads the same checkpoint (the run folder must be readable by all,
    /// docs/distributed.md); only rank 0 locks the folder and tidies it. The world size may differ from the one that
    /// wrote the checkpoint: the config fixes the global batch.</remarks>
    public static TrainingRun Resume(string runDir, Dataset train, Dataset? test, TrainConfig? overrides = null, IProgress<TrainingEvent>? progress = null, IProcessGroup? group = null, Device? device = null)
    {
        bool root = group is null || group.IsRoot();
        var config = ReadConfig(runDir);
        if (overrides is not null)
            config = config with { Train = config.Train with { Steps = overrides.Steps, Minutes = overrides.Minutes, Threads = overrides.Threads } };
        CheckData(config, train, test);
        var folder = new RunFolder(runDir);
        var runLock = root ? folder.Lock() : NoLock.Instance;
        TrainingRun? run = null;
        try
        {
            // The checkpoint's config hash is compared before the model is built: a config.json edited to another
            // (possibly huge) model is refused in milliseconds instead of allocating it first.
            var newest = RunFolder.NewestValidCheckpoint(folder.Root, out var skipped);
            if (newest is not null) Checkpoint.CheckConfigHash(newest, config);
            run = new TrainingRun(folder, config, train, test, runLock, group, device); // the checkpoint is loaded onto the model's device
            if (run.metrics?.RepairedTornLine == true) progress?.Report(new MessageEvent($"{folder.MetricsPath}: removed a torn last line left by an interrupted write"));
            var partial = root ? folder.RemovePartialWrites() : [];
            if (partial.Count > 0) progress?.Report(new MessageEvent($"removed {partial.Count} partial write(s) left by an interrupted process: {string.Join(", ", partial)}"));
            foreach (var why in skipped) progress?.Report(new MessageEvent($"skipping corrupt checkpoint: {why}"));
            if (newest is null)
            {
                if (folder.Checkpoints().Count > 0) throw new CheckpointException($"{folder.CheckpointDir}: no checkpoint of this run verifies");
                progress?.Report(new MessageEvent("no checkpoint yet: starting from step 0"));
            }
            else
            {
                Checkpoint.Restore(newest, config, run.Trainer);
                progress?.Report(new MessageEvent($"resumed from {newest} at step {run.Step}"));
            }
            if (run.Group.Size > 1 && run.Group.BroadcastValue(run.Step) != run.Step)
                throw new DistributedException($"rank {run.Group.Rank} resumed at step {run.Step}, rank 0 at another step: every rank must see the same checkpoints in {folder.Root}");
            return run;
        }
        catch
        {
            if (run is not null) run.Dispose();
            else runLock.Dispose();
            throw;
        }
    }

    private static void CheckData(RunConfig config, Dataset train, Dataset? test)
    {
        foreach (var data in test is null ? new[] { train } : new[] { train, test })
        {
            if (!data.ExampleShape.SequenceEqual(config.Model.DataShape))
                throw new ArgumentException($"dataset '{data.Name}' ({data.Split}) has examples of shape [{string.Join(", ", data.ExampleShape)}], the model expects [{string.Join(", ", config.Model.DataShape)}]");
            if (data.Vocab != config.Diffusion.Vocab)
                throw new ArgumentException($"dataset '{data.Name}' has {data.Vocab} levels per dimension, the config {config.Diffusion.Vocab}");
        }
        if (config.SampleGuidance > 0 && config.Model.NumClasses == 0)
            throw new ArgumentException($"sample guidance {config.SampleGuidance} needs a class-conditional model (--class-conditional)");
        if (config.Model.NumClasses > 0 && (train.Labels is null || train.NumClasses != config.Model.NumClasses))
            throw new ArgumentException($"a class-conditional model with {config.Model.NumClasses} classes needs a dataset with as many labels ('{train.Name}' has {train.NumClasses})");
        if (config.Train.BatchSize > train.Count)
            throw new ArgumentException($"batch size {config.Train.BatchSize} is larger than the training set ({train.Count} examples)");
    }

    /// <summary>
    /// Trains until the configured step count, the wall-clock budget, <paramref name="stopAtStep"/> or cancellation,
    /// then writes a checkpoint. A final evaluation and sample grid are made when the step count is reached.
    /// </summary>
    public TrainingSummary Run(IProgress<TrainingEvent>? progress = null, CancellationToken cancel = default, long? stopAtStep = null)
    {
        long total = Config.Train.Steps;
        long target = Math.Min(total, stopAtStep ?? long.MaxValue);
        var clock = Stopwatch.StartNew();
        long startStep = Step;
        double allReduceAtStart = Trainer.AllReduceSeconds;
        string? lastCheckpoint = null, lastSamples = null;
        EvalResult? lastEval = null;
        bool budgetSpent = false;

        double budget = Config.Train.Minutes;
        double startProgress = LearningRateSchedule.StepProgress(Config.Train, Step);
        while (Step < target && !StopRequested(cancel))
        {
            if (budget > 0)
            {
                // Rank 0's clock for every rank: the learning rate must be the same on all of them.
                double elapsed = ElapsedMinutes?.Invoke() ?? clock.Elapsed.TotalMinutes;
                if (Group.Size > 1) elapsed = Group.BroadcastValue(elapsed);
                if (elapsed >= budget)
                {
                    budgetSpent = true;
                    progress?.Report(new MessageEvent($"time budget of {budget} minutes spent at step {Step}"));
                    break;
                }
                Trainer.DecayFloor = LearningRateSchedule.BudgetProgress(startProgress, elapsed, budget);
            }
            var result = TrainOneStep();
            double seconds = clock.Elapsed.TotalSeconds;
            double rate = (Step - startStep) * Config.Train.BatchSize / Math.Max(seconds, 1e-9);
            TimeSpan? eta = Step > startStep ? TimeSpan.FromSeconds(seconds / (Step - startStep) * (target - Step)) : null;
            if (budget > 0 && eta is not null) eta = TimeSpan.FromSeconds(Math.Min(eta.Value.TotalSeconds, Math.Max(0, budget * 60 - seconds)));
            progress?.Report(new StepEvent(result, rate, clock.Elapsed, eta, total, Group.Size, Trainer.AllReduceSeconds - allReduceAtStart));
            if (Step % Config.LogEvery == 0 || result.Skipped) LogStep(result, rate);

            if (Trainer.Diverged)
            {
                lastCheckpoint = SaveCheckpoint(progress);
                progress?.Report(new MessageEvent($"stopping: {Trainer.NonFiniteInARow} steps in a row had a non-finite loss or gradient"));
                return new TrainingSummary(Step, false, true, lastCheckpoint, null, null);
            }
            if (Config.CheckpointEvery > 0 && Step % Config.CheckpointEvery == 0) lastCheckpoint = SaveCheckpoint(progress);
            if (Config.EvalEvery > 0 && Step % Config.EvalEvery == 0 && test is not null && Step < total) lastEval = EvaluateEma(progress, Config.EvalExamples);
            if (Config.SampleEvery > 0 && Step % Config.SampleEvery == 0 && Step < total) lastSamples = WriteSamples(progress);
        }

        if (lastCheckpoint is null || !lastCheckpoint.EndsWith(Checkpoint.FileName(Step), StringComparison.Ordinal))
            lastCheckpoint = SaveCheckpoint(progress);
        bool finished = Step >= total && !cancel.IsCancellationRequested && !budgetSpent;
        SampleQualityResult? quality = null;
        if (finished || budgetSpent)
        {
            if (test is not null) lastEval = EvaluateEma(progress, Config.EvalExamples);
            lastSamples = WriteSamples(progress);
            quality = ScoreSampleQuality(progress);
        }
        return new TrainingSummary(Step, cancel.IsCancellationRequested, false, lastCheckpoint, lastEval, lastSamples) { FinalSampleQuality = quality };
    }

    /// <summary>Rank 0's decision, taken by every rank: clocks and signals differ between processes, and a rank that
    /// stopped alone would leave the others waiting in the next all-reduce. One broadcast per step, only with several ranks.</summary>
    private bool Agreed(bool decision) => Group.Size == 1 ? decision : Group.BroadcastValue(decision ? 1 : 0) != 0;

    private bool StopRequested(CancellationToken cancel) => Agreed(cancel.IsCancellationRequested);

    private StepResult TrainOneStep()
    {
        using var scope = NewDisposeScope();
        var indices = batches.Indices(Step);
        if (Group.Size > 1) indices = indices[(int)Trainer.Shard.Start..(int)Trainer.Shard.End];
        using var batch = train.Take((IReadOnlyList<long>)indices);
        var labels = Config.Model.NumClasses > 0 ? batch.Labels : null;
        return Trainer.TrainStep(batch.Images, labels);
    }

    private void LogStep(StepResult result, double imagesPerSecond)
    {
        if (metrics is null) return;
        var values = new Dictionary<string, double>
        {
            ["bpd"] = result.Loss.Total,
            ["recon"] = result.Loss.Recon,
            ["prior"] = result.Loss.Prior,
            ["diffusion"] = result.Loss.Diffusion,
            ["objective"] = result.Loss.Objective,
            ["lr"] = result.LearningRate,
            ["grad_norm"] = result.GradNorm,
            ["images_per_s"] = imagesPerSecond,
            ["skipped_total"] = Trainer.NonFiniteTotal,
            ["gamma0"] = GammaAt(0),
            ["gamma1"] = GammaAt(1),
        };
        if (Group.Size > 1)
        {
            values["world_size"] = Group.Size;
            values["allreduce_s_total"] = Trainer.AllReduceSeconds;
        }
        metrics.Write("train", Step, values);
    }

    private double GammaAt(double t)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Model.Schedule.forward(tensor(new[] { t }, Model.DType, Model.Device)).to(ScalarType.Float64).item<double>();
    }

    /// <summary>Test seam: the minutes this invocation has run (default: a stopwatch started by <see cref="Run"/>).</summary>
    internal Func<double>? ElapsedMinutes { get; set; }

    /// <summary>Test seam: wraps the stream each checkpoint is written to (e.g. to inject an I/O error).</summary>
    internal Func<Stream, Stream>? CheckpointStreamFilter { get; set; }

    private string SaveCheckpoint(IProgress<TrainingEvent>? progress)
    {
        var path = Path.Combine(folder.CheckpointDir, Checkpoint.FileName(Step));
        if (Group.Size > 1)
        {
            // The ranks must agree before rank 0's parameters stand for all of them in the checkpoint.
            double disagreement = Trainer.ParameterDisagreement();
            progress?.Report(new MessageEvent(disagreement == 0
                ? $"step {Step}: all {Group.Size} ranks hold identical parameters"
                : $"warning: step {Step}: the ranks' parameters differ by up to {disagreement:g3}"));
        }
        if (!Group.IsRoot()) return path; // rank 0 writes it
        try
        {
            Checkpoint.Save(path, Config, Trainer, CheckpointStreamFilter);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var previous = RunFolder.NewestValidCheckpoint(folder.Root, out _);
            throw new IOException(
                $"{path}: could not write the checkpoint of step {Step}: {e.Message}; " +
                (previous is null ? "no earlier checkpoint exists" : $"the previous checkpoint {previous} is intact"), e);
        }
        folder.Prune(Config.KeepCheckpoints);
        MallocSettings.ReleaseFreedMemory(); // a kept heap's high-water mark would otherwise only grow
        progress?.Report(new CheckpointEvent(path, Step));
        return path;
    }

    /// <summary>Evaluates the EMA weights on the test split (the first <paramref name="examples"/> examples).</summary>
    private EvalResult? EvaluateEma(IProgress<TrainingEvent>? progress, int examples)
    {
        if (metrics is null) return null; // rank 0 evaluates
        Trainer.Ema.Swap(Model);
        try
        {
            var result = BoundEvaluator.Evaluate(Model, test!, new EvalOptions { Examples = examples, Seed = Config.Train.Seed, BatchSize = 250 });
            metrics!.Write("eval", Step, new Dictionary<string, double>
            {
                ["bpd"] = result.BitsPerDim,
                ["stderr"] = result.StdErr,
                ["recon"] = result.Recon,
                ["prior"] = result.Prior,
                ["diffusion"] = result.Diffusion,
                ["examples"] = result.Examples,
            });
            progress?.Report(new EvalEvent(result, Step));
            return result;
        }
        finally
        {
            Trainer.Ema.Swap(Model);
        }
    }

    /// <summary>
    /// <see cref="RunConfig.FinalSampleQuality"/> EMA samples (the config's sampler and steps, the run's seed) scored
    /// by the dataset's classifier (trained once and cached in <see cref="CacheRoot"/>), beside as many real test images;
    /// written to metrics.jsonl and TensorBoard. Rank 0 only; none without labels or a test split large enough.
    /// </summary>
    private SampleQualityResult? ScoreSampleQuality(IProgress<TrainingEvent>? progress)
    {
        int count = Config.FinalSampleQuality;
        if (count == 0 || metrics is null || test is null) return null;
        if (train.Labels is null || test.Labels is null || train.NumClasses < 2 || Config.Model.DataShape.Length != 3)
        {
            progress?.Report(new MessageEvent($"final sample quality: skipped ({train.Name} is not a labelled image dataset)"));
            return null;
        }
        SampleQuality.CheckCount(count, test.Count);
        var (classifier, info) = ClassifierStore.LoadOrTrain(train, test, ClassifierCacheRoot ?? CacheRoot.Default(), progress: progress is null ? null : m => progress.Report(new MessageEvent(m)), device: Model.Device);
        using (classifier)
        {
            Trainer.Ema.Swap(Model);
            SampleQualityResult result;
            try
            {
                using var samples = SampleQuality.Draw(Model, Config.Model.DataShape, count, Config.Sampler, Config.SampleSteps, Config.Train.Seed,
                    numClasses: Config.Model.NumClasses, guidance: Config.SampleGuidance);
                result = SampleQuality.Score(classifier, samples, test, info.TestAccuracy, drawnForClasses: Config.Model.NumClasses);
            }
            finally
            {
                Trainer.Ema.Swap(Model);
            }
            var figures = new Dictionary<string, double>
            {
                ["samples"] = count,
                ["fd"] = result.Samples.FrechetDistance,
                ["confidence"] = result.Samples.MeanConfidence,
                ["confidentShare"] = result.Samples.ConfidentShare,
                ["classEntropyBits"] = result.Samples.ClassEntropyBits,
                ["realFd"] = result.RealImages.FrechetDistance,
                ["realConfidence"] = result.RealImages.MeanConfidence,
                ["realClassEntropyBits"] = result.RealImages.ClassEntropyBits,
                ["classifierAccuracy"] = result.ClassifierAccuracy,
            };
            if (result.Agreement is { } agreement)
            {
                figures["agreement"] = agreement.Samples;
                figures["realAgreement"] = agreement.RealImages;
                foreach (var c in result.PerClass!) figures[$"confidence{c.Label}"] = c.Samples.MeanConfidence;
            }
            metrics.Write("sample-quality", Step, figures);
            return result;
        }
    }

    private string? WriteSamples(IProgress<TrainingEvent>? progress)
    {
        if (!Group.IsRoot() || SaveGrid is null) return null; // rank 0 draws them, when it has somewhere to put them
        Trainer.Ema.Swap(Model);
        try
        {
            using var scope = NewDisposeScope();
            var options = new SamplerOptions { Steps = Config.SampleSteps, Seed = Config.Train.Seed, NumClasses = Config.Model.NumClasses, GuidanceScale = Config.SampleGuidance };
            Tensor? labels = Config.Model.NumClasses > 0
                ? arange(Config.SampleCount, ScalarType.Int64) % Config.Model.NumClasses
                : null;
            var samples = Sampler.Draw(Model, Config.Model.DataShape, Config.SampleCount, Config.Sampler, options, labels);
            var path = Path.Combine(folder.SamplesDir, $"step-{Step:D8}.png");
            SaveGrid(path, samples, Sampler.GridColumns(Config.SampleCount, Config.Model.NumClasses), Config.Diffusion.Vocab);
            progress?.Report(new SamplesEvent(path, Step));
            return path;
        }
        finally
        {
            Trainer.Ema.Swap(Model);
        }
    }

    public void Dispose()
    {
        try
        {
            metrics?.Dispose(); // may fail to flush on a full disk: the lock must still be released
        }
        catch (IOException)
        {
        }
        finally
        {
            Trainer.Dispose();
            Model.Dispose();
            runLock.Dispose();
        }
    }
}

/// <summary>Saves drawn samples (data values 0..<paramref name="vocab"/>−1) as a picture of <paramref name="columns"/> columns.</summary>
public delegate void SampleGridWriter(string path, Tensor samples, int columns, int vocab);

/// <summary>The lock of a rank that does not own the run folder.</summary>
file sealed class NoLock : IDisposable
{
    public static NoLock Instance { get; } = new();

    public void Dispose()
    {
    }
}
