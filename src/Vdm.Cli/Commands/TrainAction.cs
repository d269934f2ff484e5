using Vdm.Cli.Infrastructure;
using Vdm.Cli.Rendering;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Distributed;
using Vdm.Evaluation;
using Vdm.Imaging;
using Vdm.Networks;
using Vdm.Persistence;
using Vdm.Runtime;
using Vdm.Training;

namespace Vdm.Cli.Commands;

/// <summary>
/// <c>vdm train</c>: builds the config (preset + flags) or reads the run's, checks everything (config, run folder,
/// data, model/data fit) before anything is written, then trains with progress rendering. Ctrl-C stops cleanly.
/// </summary>
public static class TrainAction
{
    public const string DefaultPreset = TrainingPlan.DefaultPreset;

    public static int Run(CliContext context, TrainArgs args)
    {
        using var group = DistributedOptions.Join(args.Distributed, args.CommTimeout);
        if (group.Rank > 0) context = context.Silenced(); // rank 0 reports for all
        else if (group.Size > 1) context.Out.WriteLine($"data-parallel training on {group.Size} processes ({group.Description})");
        var plan = TrainingPlan.Make(Request(args), group);
        return plan.IsResume ? Resume(context, args, plan, group) : Create(context, args, plan, group);
    }

    /// <summary>The command line as the library's request: the data layer names the dataset, the rest is passed on.</summary>
    public static TrainingRequest Request(TrainArgs args)
    {
        if (args.ConfigFile is { } file)
        {
            var info = new FileInfo(file);
            if (!info.Exists) throw new FileNotFoundException($"{file}: no such config file", file);
            if (info.Length > ConfigFileLimit) throw new UsageException($"{file}: {info.Length} bytes, larger than any config ({ConfigFileLimit} bytes at most)");
        }
        return new TrainingRequest
        {
            Preset = args.Preset,
            ConfigJson = args.ConfigFile is null ? null : File.ReadAllText(args.ConfigFile),
            ConfigSource = args.ConfigFile,
            Settings = args.Settings,
            Dataset = args.Dataset is null ? null : NormaliseDataset(args.Dataset),
            RunDir = args.RunDir,
            Resume = args.Resume,
            ClassConditional = args.ClassConditional,
        };
    }

    /// <summary>A config.json is a few kilobytes; a larger file is not one (and is not read whole into memory).</summary>
    private const long ConfigFileLimit = 1 << 20;

    private static int Create(CliContext context, TrainArgs args, TrainingPlan plan, IProcessGroup group)
    {
        var config = plan.Config;
        DataAccess.CheckName(config.Dataset);
        var images = plan.UseImageFolder(ImageFolderOptions(config.Dataset, args));

        using var train = DataAccess.Load(config.Dataset, SplitNames.Train, args.DataDir, context.Out, images);
        using var test = DataAccess.Load(config.Dataset, SplitNames.Test, args.DataDir, context.Out, images);
        using var run = plan.Start(train, test, group, device: args.Device);
        if (group.Size > 1) context.Out.WriteLine($"all-reducing {run.Model.parameters().Sum(p => p.numel()) * 4 / 1e6:0.00} MB of gradients per step (global batch {run.Config.Train.BatchSize}, {run.Trainer.Shard.Count} or so per process)");
        context.Out.WriteLine($"training {Describe(run.Config)} on {run.Config.Dataset} ({train.Count} train / {test.Count} test examples) into {run.Directory}");
        run.ClassifierCacheRoot = DataCache.DefaultRoot(args.DataDir);
        return Train(context, run);
    }

    private static int Resume(CliContext context, TrainArgs args, TrainingPlan plan, IProcessGroup group)
    {
        var config = plan.Config;
        var imageConflicts = ImageConflicts(args, config).ToList();
        if (imageConflicts.Count > 0)
            throw new UsageException($"{string.Join(", ", imageConflicts)} cannot change when resuming: {Path.Combine(plan.RunDir, "config.json")} fixes them");
        if (plan.NothingToDo)
        {
            context.Out.WriteLine($"{plan.RunDir} is already at step {plan.CheckpointStep} of {config.Train.Steps}: nothing to do (give a larger --steps to train further)");
            return ExitCodes.Success;
        }

        using var train = DataAccess.Load(config.Dataset, SplitNames.Train, args.DataDir, context.Out, config.Images);
        using var test = DataAccess.Load(config.Dataset, SplitNames.Test, args.DataDir, context.Out, config.Images);
        var messages = new List<string>();
        using var run = plan.Start(train, test, group, new Reporter<TrainingEvent>(e =>
        {
            if (e is MessageEvent m) messages.Add(m.Text);
        }), args.Device);
        foreach (var message in messages) context.Out.WriteLine(message);
        context.Out.WriteLine($"resuming {run.Directory} at step {run.Step} of {run.Config.Train.Steps}");
        run.ClassifierCacheRoot = DataCache.DefaultRoot(args.DataDir);
        return Train(context, run);
    }

    /// <summary>The image-folder options given with values other than the run's: fixed once a run exists.</summary>
    private static IEnumerable<string> ImageConflicts(TrainArgs args, RunConfig stored)
    {
        if (args.ImageSize is { } size && size != stored.Images?.ImageSize) yield return "--image-size";
        if (args.ImageChannels is { } imageChannels && imageChannels != stored.Images?.Channels) yield return "--image-channels";
        if (args.SkipBadImages && stored.Images is { SkipBadImages: false }) yield return "--skip-bad-images";
    }

    private static int Train(CliContext context, TrainingRun run)
    {
        MallocSettings.KeepFreedMemory(); // activations reuse the heap instead of faulting fresh pages in every step (docs/performance.md)
        run.SaveGrid = SampleImages.SaveGrid;
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
        if (summary.FinalEval is { } bound && ClassMixture.BitsPerDim(bound.BitsPerDim, run.Config.Model) is { } mixture)
            output.WriteLine($"  class-conditional: that bounds −log p(x | y); the mixture of the {run.Config.Model.NumClasses} classes, p(x), is at most {Format.Bpd(mixture)} bits/dim");
        if (summary.LastSamples is { } samples) output.WriteLine($"samples: {samples}");
        if (summary.FinalSampleQuality is { } q)
            output.WriteLine($"sample quality of {q.Count} samples ({SampleQualityResult.MetricName}): distance {q.Samples.FrechetDistance:F2} (real test images {q.RealImages.FrechetDistance:F2}), " +
                             $"confidence {q.Samples.MeanConfidence:F3} ({q.RealImages.MeanConfidence:F3}), class entropy {q.Samples.ClassEntropyBits:F2} bits ({q.RealImages.ClassEntropyBits:F2})" +
                             (q.Agreement is { } agreement ? $", read as the class drawn for {agreement.Samples:P1} ({agreement.RealImages:P1})" : ""));
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





    /// <summary>Catalogue names as they are; a folder as its full path, so the run can be evaluated from anywhere.</summary>
    private static string NormaliseDataset(string dataset)
    {
        var trimmed = dataset.Trim();
        if (DatasetCatalog.Find(trimmed) is { } spec) return spec.Name;
        var looksLikePath = trimmed.Contains('/') || trimmed.Contains('\\') || Directory.Exists(trimmed);
        return looksLikePath ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(trimmed)) : trimmed;
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
