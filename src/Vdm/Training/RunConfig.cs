using System.Text.Json.Serialization;
using System.Text.Json;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Sampling;
using Vdm.Schedules;

namespace Vdm.Training;

/// <summary>
/// Everything a run needs to be resumed or evaluated without repeating flags; written as <c>config.json</c> in the
/// run folder and embedded in every checkpoint.
/// </summary>
public sealed record RunConfig
{
    /// <summary>Catalogue name of the dataset (e.g. <c>mnist</c>) or a path to a folder of IDX files.</summary>
    public string Dataset { get; init; } = "mnist";

    /// <summary>How the folder of images in <see cref="Dataset"/> is read; null for other datasets (and not written).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Vdm.Data.ImageFolderConfig? Images { get; init; }

    public ModelConfig Model { get; init; } = new();

    public ScheduleConfig Schedule { get; init; } = new();

    public DiffusionConfig Diffusion { get; init; } = new();

    public TrainConfig Train { get; init; } = new();

    /// <summary>Evaluate the EMA model on (part of) the test split every this many steps (0 = never).</summary>
    public int EvalEvery { get; init; } = 500;

    /// <summary>Test examples used by the periodic evaluation (0 = the whole split).</summary>
    public int EvalExamples { get; init; } = 1000;

    /// <summary>Write a sample grid every this many steps (0 = never).</summary>
    public int SampleEvery { get; init; } = 1000;

    /// <summary>Samples in each periodic grid.</summary>
    public int SampleCount { get; init; } = 64;

    /// <summary>The sampler of the run's sample grids and final sample-quality samples, and the default of
    /// <c>vdm sample</c> and <c>vdm eval --sample-quality</c>: ancestral (the model's own reverse process) or DDIM
    /// (deterministic). With 100 steps the ancestral sampler drew better digits than DDIM with 50 (docs/main-job.md,
    /// "Class-conditional by default").</summary>
    public SamplerKind Sampler { get; init; } = SamplerKind.Ancestral;

    /// <summary>Reverse steps of <see cref="Sampler"/> for those samples.</summary>
    public int SampleSteps { get; init; } = 100;

    /// <summary>Classifier-free guidance weight w of the run's sample grids and final sample-quality samples (0 = none):
    /// ε̂ = (1 + w) ε̂(z, y) − w ε̂(z, ∅), the labels cycling through the classes. Needs a class-conditional model.</summary>
    public double SampleGuidance { get; init; }

    /// <summary>Samples scored by the dataset's classifier when training ends (the figures of <c>vdm eval --sample-quality</c>,
    /// written to metrics.jsonl and TensorBoard as "sample-quality"); 0 = none. Needs a labelled dataset.</summary>
    public int FinalSampleQuality { get; init; }

    public int CheckpointEvery { get; init; } = 250;

    /// <summary>How many checkpoints to keep (the newest).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Append a metrics line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses a config; throws <see cref="JsonException"/> naming what is wrong.</summary>
    public static RunConfig FromJson(string json) =>
        JsonSerializer.Deserialize<RunConfig>(json, JsonOptions) ?? throw new JsonException("config is null");

    /// <summary>Checks every part; throws <see cref="ArgumentException"/> with a message naming the bad value.</summary>
    public void Validate()
    {
        // A hand-edited or damaged config.json may hold "model": null and the like: name the part, do not crash on it.
        if (Model is null || Schedule is null || Diffusion is null || Train is null)
            throw new ArgumentException($"config is missing its {(Model is null ? "model" : Schedule is null ? "schedule" : Diffusion is null ? "diffusion" : "train")} section");
        Train.Validate();
        Images?.Validate();
        if (string.IsNullOrWhiteSpace(Dataset)) throw new ArgumentException("dataset name is empty");
        // The network's fit to the data shape is checked when the model is built (the CLI first fits the shape to the data).
        if (!Enum.IsDefined(Model.Network)) throw new ArgumentException($"unknown network kind {Model.Network}");
        if (!Enum.IsDefined(Model.Prediction)) throw new ArgumentException($"unknown prediction {Model.Prediction}");
        if (Model.DataShape is null) throw new ArgumentException("model data shape is missing");
        if (!Enum.IsDefined(Schedule.Kind)) throw new ArgumentException($"unknown schedule kind {Schedule.Kind}");
        if (Schedule.Kind == ScheduleKind.MonotoneNet && Schedule.Features < 1) throw new ArgumentException($"schedule features must be ≥ 1 (got {Schedule.Features})");
        if (Schedule.MinimiseVariance && Schedule.Kind != ScheduleKind.MonotoneNet)
            throw new ArgumentException($"minimise-variance needs the monotone schedule (the {Schedule.Kind} schedule has no shape to train)");
        if (Schedule.MinimiseVariance && (Diffusion.TimeSteps != 0 || Diffusion.Weighting != Weighting.Vlb))
            throw new ArgumentException(VariationalDiffusionModel.VarianceNeedsContinuousBound);
        if (!Enum.IsDefined(Diffusion.Weighting)) throw new ArgumentException($"unknown weighting {Diffusion.Weighting}");
        if (!double.IsFinite(Diffusion.WeightingBias)) throw new ArgumentException($"weighting bias must be finite (got {Diffusion.WeightingBias})");
        if (!double.IsFinite(Diffusion.WeightingBiasGrowth)) throw new ArgumentException($"weighting bias growth must be finite (got {Diffusion.WeightingBiasGrowth})");
        if (Diffusion.Vocab < 2) throw new ArgumentException($"vocab must be ≥ 2 (got {Diffusion.Vocab})");
        if (Diffusion.TimeSteps < 0) throw new ArgumentException($"time steps must be ≥ 0 (got {Diffusion.TimeSteps})");
        GammaRange.Check(Schedule.GammaMin, Schedule.GammaMax);
        foreach (var (name, value) in new[] { ("eval-every", EvalEvery), ("eval-examples", EvalExamples), ("sample-every", SampleEvery), ("checkpoint-every", CheckpointEvery) })
            if (value < 0) throw new ArgumentException($"{name} must be ≥ 0 (got {value})");
        if (SampleCount < 1) throw new ArgumentException($"sample count must be ≥ 1 (got {SampleCount})");
        if (SampleSteps < 1) throw new ArgumentException($"sample steps must be ≥ 1 (got {SampleSteps})");
        if (!(SampleGuidance >= 0 && double.IsFinite(SampleGuidance))) throw new ArgumentException($"sample guidance must be ≥ 0 (got {SampleGuidance})");
        if (FinalSampleQuality < 0) throw new ArgumentException($"final sample quality must be ≥ 0 samples (got {FinalSampleQuality})");
        if (FinalSampleQuality > 0) ConfigLimits.CheckSampleCount(FinalSampleQuality);
        if (KeepCheckpoints < 1) throw new ArgumentException($"keep-checkpoints must be ≥ 1 (got {KeepCheckpoints})");
        if (LogEvery < 1) throw new ArgumentException($"log-every must be ≥ 1 (got {LogEvery})");
        CheckLimits();
    }

    /// <summary>Sizes that would allocate without bound: refused before any model is built (<see cref="ConfigLimits"/>).</summary>
    private void CheckLimits()
    {
        if (Model.Channels < 1) throw new ArgumentException($"channels must be ≥ 1 (got {Model.Channels})");
        if (Model.Blocks < 1) throw new ArgumentException($"blocks must be ≥ 1 (got {Model.Blocks})");
        ConfigLimits.AtMost("channels", Model.Channels, ConfigLimits.MaxChannels);
        ConfigLimits.AtMost("blocks", Model.Blocks, ConfigLimits.MaxBlocks);
        if (Model.ChannelMultipliers is null || Model.ChannelMultipliers.Length == 0) throw new ArgumentException("channel multipliers are missing");
        ConfigLimits.AtMost("number of channel multipliers", Model.ChannelMultipliers.Length, ConfigLimits.MaxResolutionLevels);
        foreach (var m in Model.ChannelMultipliers)
        {
            if (m < 1) throw new ArgumentException($"channel multipliers must be ≥ 1 (got {m})");
            ConfigLimits.AtMost("channel multiplier", m, ConfigLimits.MaxChannelMultiplier);
        }
        ConfigLimits.AtMost("widest layer (channels × largest multiplier)", (long)Model.Channels * Model.ChannelMultipliers.Max(), ConfigLimits.MaxWidestLayer);
        long size = 1;
        foreach (var d in Model.DataShape)
        {
            if (d < 1) throw new ArgumentException($"data shape [{string.Join(", ", Model.DataShape)}] has a size < 1");
            size = Math.Min(size * Math.Min(d, ConfigLimits.MaxExampleSize + 1), ConfigLimits.MaxExampleSize + 1);
        }
        ConfigLimits.AtMost($"example size (values in data shape [{string.Join(", ", Model.DataShape)}])", size, ConfigLimits.MaxExampleSize);
        if (Model.NumClasses < 0) throw new ArgumentException($"classes must be ≥ 0 (got {Model.NumClasses})");
        ConfigLimits.AtMost("classes", Model.NumClasses, ConfigLimits.MaxClasses);
        ConfigLimits.AtMost("vocab", Diffusion.Vocab, ConfigLimits.MaxVocab);
        ConfigLimits.AtMost("time steps", Diffusion.TimeSteps, ConfigLimits.MaxTimeSteps);
        ConfigLimits.AtMost("schedule features", Schedule.Features, ConfigLimits.MaxScheduleFeatures);
        ConfigLimits.AtMost("batch size", Train.BatchSize, ConfigLimits.MaxBatchSize);
        ConfigLimits.AtMost("threads", Train.Threads, ConfigLimits.MaxThreads);
        ConfigLimits.CheckSampleCount(SampleCount);
        ConfigLimits.AtMost("sample steps", SampleSteps, ConfigLimits.MaxSampleSteps);
    }
}
