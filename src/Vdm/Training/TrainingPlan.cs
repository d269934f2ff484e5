using Vdm.Data;
using Vdm.Distributed;
using Vdm.Networks;
using Vdm.Persistence;

namespace Vdm.Training;

/// <summary>What a user asks of <c>vdm train</c> (or of <see cref="TrainingPlan.Make"/>), before anything is decided.</summary>
public sealed record TrainingRequest
{
    /// <summary>Preset to start from (default: the one named like <see cref="Dataset"/>, else <see cref="TrainingPlan.DefaultPreset"/>).</summary>
    public string? Preset { get; init; }

    /// <summary>A config file's text (the shape of a run's config.json, complete or partial), merged over the preset.</summary>
    public string? ConfigJson { get; init; }

    /// <summary>Where <see cref="ConfigJson"/> came from, for messages.</summary>
    public string? ConfigSource { get; init; }

    /// <summary>Fields set by path, applied after the file in order (a later one wins).</summary>
    public IReadOnlyList<ConfigSetting> Settings { get; init; } = [];

    /// <summary>Dataset name or folder, already normalised by the data layer (catalogue name or full path).</summary>
    public string? Dataset { get; init; }

    /// <summary>Run folder (default: <c>runs/&lt;preset&gt;[-&lt;dataset&gt;]</c>).</summary>
    public string? RunDir { get; init; }

    public bool Resume { get; init; }

    /// <summary>Condition on the data's class labels, whatever the config says (a config with
    /// <see cref="Networks.ModelConfig.NumClasses"/> &gt; 0, as the MNIST presets have, asks for it too).</summary>
    public bool ClassConditional { get; init; }
}

/// <summary>
/// What <c>vdm train</c> decides before the first step, as a library type: the config (preset + file + settings, with
/// the defaults that depend on what was given), whether this is a new run or a resume, the run folder, the checkpoint
/// to continue from, and the config fitted to the data. The CLI parses into a <see cref="TrainingRequest"/>, loads the
/// data the plan names and calls <see cref="Start"/>; a library user does the same without the CLI.
/// </summary>
public sealed class TrainingPlan
{
    public const string DefaultPreset = "mnist";

    private TrainingPlan(TrainingRequest request, string preset, string runDir, RunConfig config)
    {
        Request = request;
        Preset = preset;
        RunDir = runDir;
        Config = config;
    }

    public TrainingRequest Request { get; }

    /// <summary>The preset the config started from (for a resume: the one that locates the default run folder).</summary>
    public string Preset { get; }

    /// <summary>Full path of the run folder.</summary>
    public string RunDir { get; }

    public bool IsResume => Request.Resume;

    /// <summary>The config before it is fitted to the data (a new run) or the run's own with the allowed changes (a resume).</summary>
    public RunConfig Config { get; private set; }

    /// <summary>A resume: the newest checkpoint that verifies, and its step; null when the run has none yet.</summary>
    public string? Checkpoint { get; private init; }

    public long? CheckpointStep { get; private init; }

    /// <summary>A resume whose newest checkpoint already reached the step count: nothing to train.</summary>
    public bool NothingToDo => IsResume && CheckpointStep is long done && done >= Config.Train.Steps;

    /// <summary>Decides everything that does not need the data. Throws <see cref="ArgumentException"/> (or a file
    /// exception) naming the problem; nothing is written. In a group of processes only rank 0 checks that a new run's
    /// folder is free (the others may start after rank 0 created it).</summary>
    public static TrainingPlan Make(TrainingRequest request, IProcessGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var preset = request.Preset ?? PresetFor(request.Dataset) ?? DefaultPreset;
        if (!Presets.Names.Contains(preset)) Presets.Get(preset); // names the known ones
        var runDir = Path.GetFullPath(request.RunDir ?? DefaultRunDir(preset, request.Dataset));
        return request.Resume ? MakeResume(request, preset, runDir) : MakeNew(request, preset, runDir, group is null || group.IsRoot());
    }

    private static TrainingPlan MakeNew(TrainingRequest request, string preset, string runDir, bool ownsFolder)
    {
        var config = Presets.Get(preset);
        if (request.ConfigJson is { } json) config = ConfigOverrides.Merge(config, json, request.ConfigSource ?? "--config");
        var given = new HashSet<string>(request.Settings.Select(s => ConfigOverrides.Canonical(s.Path) ?? s.Path), StringComparer.Ordinal);
        var set = ConfigOverrides.Apply(config, request.Settings);
        if (request.Dataset is { } dataset) set = set with { Dataset = dataset };
        set = DefaultsFollowingWhatWasGiven(config, set, given);
        set.Validate();
        if (ownsFolder) CheckRunDirIsFree(runDir);
        return new TrainingPlan(request, preset, runDir, set);
    }

    /// <summary>
    /// Defaults that follow what was given: a step count without a time budget means "train that many steps" (the
    /// preset's budget is dropped); a short run warms up over at most a quarter of its steps so that it reaches its
    /// peak learning rate; a peak learning rate below the preset's floor lowers the floor to it.
    /// </summary>
    private static RunConfig DefaultsFollowingWhatWasGiven(RunConfig preset, RunConfig set, IReadOnlySet<string> given)
    {
        var train = set.Train;
        if (given.Contains("train.steps") && !given.Contains("train.minutes")) train = train with { Minutes = 0 };
        if (given.Contains("train.steps") && !given.Contains("train.warmupSteps"))
            train = train with { WarmupSteps = Math.Min(preset.Train.WarmupSteps, train.Steps / 4) };
        if (given.Contains("train.learningRate") && !given.Contains("train.minLearningRate"))
            train = train with { MinLearningRate = Math.Min(preset.Train.MinLearningRate, train.LearningRate) };
        return set with { Train = train };
    }

    private static TrainingPlan MakeResume(TrainingRequest request, string preset, string runDir)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: no such run folder to resume (give --run DIR)");
        if (request.ConfigJson is not null) throw new ArgumentException($"{request.ConfigSource ?? "--config"}: a resumed run keeps its own config ({Path.Combine(runDir, "config.json")}); give only settings it may change ({string.Join(", ", ConfigOverrides.ChangeableOnResume)})");
        var stored = TrainingRun.ReadConfig(runDir);
        if (request.Dataset is { } dataset && !string.Equals(dataset, stored.Dataset, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--dataset {dataset}: the run in {runDir} was trained on {stored.Dataset}");
        var wanted = ConfigOverrides.Apply(stored, request.Settings);
        var fixedOnes = ConfigOverrides.Differences(stored, wanted).Where(p => !ConfigOverrides.ChangeableOnResume.Contains(p)).ToList();
        if (request.ClassConditional && stored.Model.NumClasses == 0) fixedOnes.Add("model.numClasses");
        if (fixedOnes.Count > 0)
        {
            var sources = fixedOnes.Select(p => request.Settings.LastOrDefault(s => ConfigOverrides.Canonical(s.Path) == p)?.Source ?? (p == "model.numClasses" ? "--class-conditional" : p));
            throw new ResumeConflictException(fixedOnes, $"{string.Join(", ", sources.Distinct())} cannot change when resuming: {Path.Combine(runDir, "config.json")} fixes them (only {string.Join(", ", ConfigOverrides.ChangeableOnResume)} may)");
        }
        wanted.Train.Validate();
        var newest = RunFolder.NewestValidCheckpoint(runDir, out _);
        return new TrainingPlan(request, preset, runDir, wanted)
        {
            Checkpoint = newest,
            CheckpointStep = newest is null ? null : Persistence.Checkpoint.StepOf(newest),
        };
    }

    /// <summary>A new run on a folder of images: how it is read (sizes, channels, the listing's hash), recorded in
    /// config.json. Returns it; a resume keeps the run's own.</summary>
    public ImageFolderConfig? UseImageFolder(ImageFolderConfig? images)
    {
        if (IsResume) return Config.Images;
        Config = Config with { Images = images };
        return images;
    }

    /// <summary>
    /// A new run: the example shape, levels and class count taken from the data, and a network that can read it
    /// (checked by building it once). A resume: checks that the data is what the run was trained on.
    /// </summary>
    public RunConfig FitToData(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (IsResume) return Config;
        var config = Config;
        var shape = train.ExampleShape;
        if (config.Model.Network == NetworkKind.Mlp && shape.Length != 1)
            throw new ArgumentException($"the mlp network needs vector data; {config.Dataset} has examples of shape [{string.Join(", ", shape)}] (set model.network to multiResUNet or vdmUNet: --network multires or vdm)");
        if (config.Model.Network != NetworkKind.Mlp && shape.Length != 3)
            throw new ArgumentException($"the {config.Model.Network} network needs images; {config.Dataset} has examples of shape [{string.Join(", ", shape)}] (set model.network to mlp: --network mlp, or use --preset {PresetFor(config.Dataset) ?? "swirl"})");
        int classes = 0;
        bool labelled = train.Labels is not null && train.NumClasses >= 2;
        if (Request.ClassConditional && !labelled)
            throw new ArgumentException($"--class-conditional needs labelled data; {config.Dataset} has no class labels");
        if (Request.ClassConditional || config.Model.NumClasses > 0)
        {
            // A config's wish for classes (the MNIST presets) is met on labelled data, with the data's own count of
            // classes; on unlabelled data (an image folder without labels) the model is unconditional and unguided.
            if (labelled) classes = train.NumClasses;
            else config = config with { SampleGuidance = 0 };
        }
        config = config with
        {
            Model = config.Model with { DataShape = shape, NumClasses = classes },
            Diffusion = config.Diffusion with { Vocab = train.Vocab },
        };
        config.Validate();
        using (ModelFactory.Build(config)) { } // a network that cannot take this data fails here, before any folder exists
        Config = config;
        return config;
    }

    /// <summary>
    /// Creates or resumes the run. A new run's folder is checked again (the data may have taken a while to load); a
    /// resumed run continues from its newest valid checkpoint (<see cref="TrainingRun.Resume"/>).
    /// </summary>
    /// <param name="device">Where the model trains (null: the CPU); not part of the config, so a run may resume on another device.</param>
    public TrainingRun Start(Dataset train, Dataset? test, IProcessGroup? group = null, IProgress<TrainingEvent>? progress = null, TorchSharp.torch.Device? device = null)
    {
        if (IsResume) return TrainingRun.Resume(RunDir, train, test, Config.Train, progress, group, device);
        var config = FitToData(train);
        if (group is null || group.IsRoot()) CheckRunDirIsFree(RunDir);
        return TrainingRun.Create(RunDir, config, train, test, group, device);
    }

    /// <summary>The preset named like a dataset (<c>swirl</c> trains the swirl preset; every EMNIST split the emnist one).</summary>
    public static string? PresetFor(string? dataset)
    {
        if (dataset is null) return null;
        var name = dataset.Trim().ToLowerInvariant();
        if (name.StartsWith("emnist", StringComparison.Ordinal)) name = "emnist";
        return Presets.Names.Contains(name) ? name : null;
    }

    /// <summary><c>runs/&lt;preset&gt;</c>, or <c>runs/&lt;preset&gt;-&lt;dataset&gt;</c> when the dataset is not the preset's own.</summary>
    public static string DefaultRunDir(string preset, string? dataset)
    {
        var leaf = preset;
        if (dataset is not null)
        {
            var data = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataset.Trim()));
            if (!string.Equals(data, preset, StringComparison.OrdinalIgnoreCase) && data.Length > 0) leaf = $"{preset}-{data}";
        }
        return Path.Combine("runs", leaf);
    }

    /// <summary>A new run needs a folder that does not exist, is empty, or holds only the lock of a start that died
    /// (<see cref="RunFolder.HoldsOnlyStaleLock"/>, which <see cref="TrainingRun.Create"/> accepts too).</summary>
    private static void CheckRunDirIsFree(string runDir)
    {
        if (File.Exists(runDir)) throw new ArgumentException($"{runDir}: --run names a file, not a folder");
        if (Directory.Exists(runDir) && !new RunFolder(runDir).HoldsOnlyStaleLock())
            throw new ArgumentException($"{runDir}: the run folder exists and is not empty (add --resume to continue it, or choose another --run)");
    }
}

/// <summary>A resume that would change settings the run's config fixes; <see cref="Paths"/> names them.</summary>
public sealed class ResumeConflictException(IReadOnlyList<string> paths, string message) : ArgumentException(message)
{
    public IReadOnlyList<string> Paths { get; } = paths;
}
