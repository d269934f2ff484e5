using Vdm.Cli.Infrastructure;
using Vdm.Cli.Rendering;
using Vdm.Data;
using Vdm.Distributed;
using Vdm.Networks;
using Vdm.Runtime;
using Vdm.Training;

namespace Vdm.Cli.Commands;

/// <summary>
/// <c>vdm train</c>: builds the config (preset + flags) or reads the run's, checks everything (config, run folder,
/// data, model/data fit) before anything is written, then trains with progress rendering. Ctrl-C stops cleanly.
/// </summary>
public static class TrainAction
{
    public const string DefaultPreset = "mnist";

    public static int Run(CliContext context, TrainArgs args)
    {
        using var group = DistributedOptions.Join(args.Distributed, args.CommTimeout);
        if (group.Rank > 0) context = context.Silenced(); // rank 0 reports for all
        else if (group.Size > 1) context.Out.WriteLine($"data-parallel training on {group.Size} processes ({group.Description})");
        return args.Resume ? Resume(context, args, group) : Create(context, args, group);
    }

    private static int Create(CliContext context, TrainArgs args, IProcessGroup group)
    {
        var presetName = args.Preset ?? PresetFor(args.Dataset) ?? DefaultPreset;
        var config = ApplyOverrides(Presets.Get(presetName), args);
        config.Validate();
        DataAccess.CheckName(config.Dataset);
        var runDir = Path.GetFullPath(args.RunDir ?? DefaultRunDir(presetName, args.Dataset));
        if (group.IsRoot()) CheckRunDirIsFree(runDir);
        config = config with { Images = ImageFolderOptions(config.Dataset, args) };

        using var train = DataAccess.Load(config.Dataset, SplitNames.Train, args.DataDir, context.Out, config.Images);
        using var test = DataAccess.Load(config.Dataset, SplitNames.Test, args.DataDir, context.Out, config.Images);
        config = FitToData(config, train, args);
        config.Validate();
        using (ModelFactory.Build(config)) { } // a network that cannot take this data fails here, before any folder exists
        if (config.Train.BatchSize > train.Count)
            throw new UsageException($"--batch-size {config.Train.BatchSize} is larger than the training set of {config.Dataset} ({train.Count} examples)");
        if (group.IsRoot()) CheckRunDirIsFree(runDir); // the data may have taken a while: check again right before creating it

        using var run = TrainingRun.Create(runDir, config, train, test, group);
        if (group.Size > 1) context.Out.WriteLine($"all-reducing {run.Model.parameters().Sum(p => p.numel()) * 4 / 1e6:0.00} MB of gradients per step (global batch {config.Train.BatchSize}, {run.Trainer.Shard.Count} or so per process)");
        context.Out.WriteLine($"training {Describe(config)} on {config.Dataset} ({train.Count} train / {test.Count} test examples) into {run.Directory}");
        return Train(context, run);
    }

    private static int Resume(CliContext context, TrainArgs args, IProcessGroup group)
    {
        if (args.Preset is not null && !Presets.Names.Contains(args.Preset)) Presets.Get(args.Preset); // names the known ones
        var runDir = Path.GetFullPath(args.RunDir ?? DefaultRunDir(args.Preset ?? PresetFor(args.Dataset) ?? DefaultPreset, args.Dataset));
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: no such run folder to resume (give --run DIR)");
        var config = TrainingRun.ReadConfig(runDir);
        var conflicts = args.ConflictsWith(config).ToList();
        if (conflicts.Count > 0)
            throw new UsageException($"{string.Join(", ", conflicts)} cannot change when resuming: {Path.Combine(runDir, "config.json")} fixes them (only --steps, --minutes and --threads may)");
        if (args.Dataset is not null && !SameDataset(args.Dataset, config.Dataset))
            throw new UsageException($"--dataset {args.Dataset}: the run in {runDir} was trained on {config.Dataset}");
        var stepsWanted = args.Steps ?? config.Train.Steps;
        if (NewestCheckpointStep(runDir) is long done && done >= stepsWanted)
        {
            context.Out.WriteLine($"{runDir} is already at step {done} of {stepsWanted}: nothing to do (give a larger --steps to train further)");
            return ExitCodes.Success;
        }
        var overrides = config.Train with
        {
            Steps = args.Steps ?? config.Train.Steps,
            Minutes = args.Minutes ?? config.Train.Minutes,
            Threads = args.Threads ?? config.Train.Threads,
        };
        overrides.Validate();

        using var train = DataAccess.Load(config.Dataset, SplitNames.Train, args.DataDir, context.Out, config.Images);
        using var test = DataAccess.Load(config.Dataset, SplitNames.Test, args.DataDir, context.Out, config.Images);
        var messages = new List<string>();
        using var run = TrainingRun.Resume(runDir, train, test, overrides, new Reporter<TrainingEvent>(e =>
        {
            if (e is MessageEvent m) messages.Add(m.Text);
        }), group);
        foreach (var message in messages) context.Out.WriteLine(message);
        context.Out.WriteLine($"resuming {run.Directory} at step {run.Step} of {run.Config.Train.Steps}");
        return Train(context, run);
    }

    private static int Train(CliContext context, TrainingRun run)
    {
        MallocSettings.KeepFreedMemory(); // activations reuse the heap instead of faulting fresh pages in every step (docs/performance.md)
        if (ConvolutionBackend.Result is { OneDnnWrong: true } check) context.Out.WriteLine($"note: convolutions: {check.Describe()}");
        // Open MPI gives each rank a terminal: a data-parallel run logs plain lines (cluster logs are files anyway).
        var renderer = context.Interactive && run.Group.Size == 1 ? (ITrainingRenderer)new LiveTrainingRenderer(context) : new PlainTrainingRenderer(context, run.Config.LogEvery);
        TrainingSummary summary;
        using (context.StopCleanlyOnCancel()) summary = renderer.Run(run, context.Cancel);
        return Report(context, run, summary);
    }

    private static int Report(CliContext context, TrainingRun run, TrainingSummary summary)
    {
        var output = context.Out;
        if (summary.Diverged)
        {
            // Exit 2 (issue 13): the settings (learning rate, data) cannot train this model; the last good state is saved.
            context.Error.WriteLine($"vdm train: training diverged at step {summary.Step} (non-finite loss, gradients or weights in {run.Trainer.NonFiniteInARow} steps in a row; all rolled back); last good checkpoint: {summary.LastCheckpoint ?? "none"}");
            return ExitCodes.Usage;
        }
        if (summary.Cancelled)
        {
            output.WriteLine($"interrupted at step {summary.Step}: checkpoint saved to {summary.LastCheckpoint}");
            output.WriteLine($"continue with: vdm train --run {Quote(run.Directory)} --resume");
            return ExitCodes.Success;
        }
        if (summary.Step < run.Config.Train.Steps)
        {
            output.WriteLine($"stopped at step {summary.Step} of {run.Config.Train.Steps} (time budget); checkpoint: {summary.LastCheckpoint}");
            output.WriteLine($"continue with: vdm train --run {Quote(run.Directory)} --resume");
        }
        else
        {
            output.WriteLine($"finished {summary.Step} steps; checkpoint: {summary.LastCheckpoint}");
        }
        if (summary.FinalEval is { } eval)
            output.WriteLine($"test bits/dim: {Format.Bpd(eval.BitsPerDim)} ± {Format.Bpd(eval.StdErr)}  (recon {Format.Bpd(eval.Recon)}  prior {Format.Bpd(eval.Prior)}  diffusion {Format.Bpd(eval.Diffusion)}; {eval.Examples} examples, EMA weights)");
        if (summary.LastSamples is { } samples) output.WriteLine($"samples: {samples}");
        return ExitCodes.Success;
    }

    /// <summary>A folder of images: the options given, completed from the folder (listing hash) for the run's config.
    /// The image options on any other dataset are refused.</summary>
    private static ImageFolderConfig? ImageFolderOptions(string dataset, TrainArgs args)
    {
        var requested = new ImageFolderConfig { ImageSize = args.ImageSize, Channels = args.ImageChannels ?? 0, SkipBadImages = args.SkipBadImages };
        if (args.ImageChannels is 2) throw new UsageException("--image-channels 2: expected 1 (grey) or 3 (RGB)");
        var resolved = DataAccess.ResolveImages(dataset, requested, args.DataDir);
        if (resolved is null && (args.ImageSize is not null || args.ImageChannels is not null || args.SkipBadImages))
        {
            var option = args.ImageSize is not null ? "--image-size" : args.ImageChannels is not null ? "--image-channels" : "--skip-bad-images";
            throw new UsageException($"{option} applies to a folder of images; {dataset} is not one");
        }
        return resolved;
    }

    /// <summary>The preset named like a dataset (<c>--dataset swirl</c> alone trains the swirl preset).</summary>
    private static string? PresetFor(string? dataset)
    {
        if (dataset is null) return null;
        var name = dataset.Trim().ToLowerInvariant();
        if (name.StartsWith("emnist", StringComparison.Ordinal)) name = "emnist";
        return Presets.Names.Contains(name) ? name : null;
    }

    private static string DefaultRunDir(string preset, string? dataset)
    {
        var leaf = preset;
        if (dataset is not null)
        {
            var data = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataset.Trim()));
            if (!string.Equals(data, preset, StringComparison.OrdinalIgnoreCase) && data.Length > 0) leaf = $"{preset}-{data}";
        }
        return Path.Combine("runs", leaf);
    }

    /// <summary>The step of the newest checkpoint that verifies, from its file name (step-N.ckpt); null when none.</summary>
    private static long? NewestCheckpointStep(string runDir)
    {
        var newest = RunFolder.NewestValidCheckpoint(runDir, out _);
        var digits = newest is null ? null : Path.GetFileNameWithoutExtension(newest).Replace("step-", "", StringComparison.Ordinal);
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    private static bool SameDataset(string given, string stored) =>
        string.Equals(NormaliseDataset(given), NormaliseDataset(stored), StringComparison.OrdinalIgnoreCase);

    /// <summary>Catalogue names as they are; a folder as its full path, so the run can be evaluated from anywhere.</summary>
    private static string NormaliseDataset(string dataset)
    {
        var trimmed = dataset.Trim();
        if (DatasetCatalog.Find(trimmed) is { } spec) return spec.Name;
        var looksLikePath = trimmed.Contains('/') || trimmed.Contains('\\') || Directory.Exists(trimmed);
        return looksLikePath ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(trimmed)) : trimmed;
    }

    private static void CheckRunDirIsFree(string runDir)
    {
        if (File.Exists(runDir)) throw new UsageException($"{runDir}: --run names a file, not a folder");
        if (Directory.Exists(runDir) && Directory.EnumerateFileSystemEntries(runDir).Any())
            throw new UsageException($"{runDir}: the run folder exists and is not empty (add --resume to continue it, or choose another --run)");
    }

    public static RunConfig ApplyOverrides(RunConfig config, TrainArgs a) => config with
    {
        Dataset = a.Dataset is null ? config.Dataset : NormaliseDataset(a.Dataset),
        Model = config.Model with
        {
            Network = a.Network ?? config.Model.Network,
            Channels = a.Channels ?? config.Model.Channels,
            Blocks = a.Blocks ?? config.Model.Blocks,
            ChannelMultipliers = a.ChannelMultipliers ?? config.Model.ChannelMultipliers,
            Attention = a.Attention ?? config.Model.Attention,
            Dropout = a.Dropout ?? config.Model.Dropout,
        },
        Schedule = config.Schedule with
        {
            Kind = a.Schedule ?? config.Schedule.Kind,
            MinimiseVariance = a.MinimiseVariance ?? config.Schedule.MinimiseVariance,
        },
        Diffusion = config.Diffusion with
        {
            TimeSteps = a.TimeSteps ?? config.Diffusion.TimeSteps,
            Weighting = a.Weighting ?? config.Diffusion.Weighting,
            WeightingBias = a.WeightingBias ?? config.Diffusion.WeightingBias,
        },
        Train = config.Train with
        {
            Steps = a.Steps ?? config.Train.Steps,
            // An explicit step count without --minutes means "train that many steps": drop the preset's time budget.
            Minutes = a.Minutes ?? (a.Steps is null ? config.Train.Minutes : 0),
            BatchSize = a.BatchSize ?? config.Train.BatchSize,
            LearningRate = a.LearningRate ?? config.Train.LearningRate,
            MinLearningRate = Math.Min(config.Train.MinLearningRate, a.LearningRate ?? config.Train.LearningRate),
            // A short explicit run should reach its peak learning rate: warm up over at most a quarter of it.
            WarmupSteps = a.WarmupSteps ?? (a.Steps is int steps ? Math.Min(config.Train.WarmupSteps, steps / 4) : config.Train.WarmupSteps),
            Seed = a.Seed ?? config.Train.Seed,
            Threads = a.Threads ?? config.Train.Threads,
            EmaDecay = a.Ema ?? config.Train.EmaDecay,
        },
        EvalEvery = a.EvalEvery ?? config.EvalEvery,
        SampleEvery = a.SampleEvery ?? config.SampleEvery,
        CheckpointEvery = a.CheckpointEvery ?? config.CheckpointEvery,
    };

    /// <summary>Takes the example shape, levels and class count from the data; refuses a network that cannot read it.</summary>
    private static RunConfig FitToData(RunConfig config, Dataset train, TrainArgs args)
    {
        var shape = train.ExampleShape;
        var isImage = shape.Length == 3;
        if (config.Model.Network == NetworkKind.Mlp && shape.Length != 1)
            throw new UsageException($"--network mlp needs vector data; {config.Dataset} has examples of shape [{string.Join(", ", shape)}] (use --network multires or vdm)");
        if (config.Model.Network != NetworkKind.Mlp && !isImage)
            throw new UsageException($"the {Format.Network(config.Model.Network)} network needs images; {config.Dataset} has examples of shape [{string.Join(", ", shape)}] (use --network mlp, or --preset {PresetFor(config.Dataset) ?? "swirl"})");
        int classes = 0;
        if (args.ClassConditional)
        {
            if (train.Labels is null || train.NumClasses < 2)
                throw new UsageException($"--class-conditional needs labelled data; {config.Dataset} has no class labels");
            classes = train.NumClasses;
        }
        return config with
        {
            Model = config.Model with { DataShape = shape, NumClasses = classes },
            Diffusion = config.Diffusion with { Vocab = train.Vocab },
        };
    }

    private static string Describe(RunConfig c) =>
        $"{Format.Network(c.Model.Network)} ({c.Model.Channels} ch, {c.Model.Blocks} blocks), {Format.Schedule(c.Schedule.Kind)} schedule, " +
        $"{(c.Diffusion.TimeSteps == 0 ? "continuous time" : $"T = {c.Diffusion.TimeSteps}")}" +
        (c.Diffusion.Weighting == Vdm.Diffusion.Weighting.Vlb ? "" : $", {c.Diffusion.Weighting.ToString().ToLowerInvariant()}-weighted diffusion term") +
        $", {c.Train.Steps} steps of batch {c.Train.BatchSize}" +
        (c.Train.Minutes > 0 ? $" (at most {c.Train.Minutes:0.##} min)" : "") +
        (c.Model.NumClasses > 0 ? $", {c.Model.NumClasses} classes" : "");

    private static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;
}
