using System.Text.Json;
using System.Text.Json.Serialization;
using Vdm.Diffusion;
using Vdm.Networks;
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

    /// <summary>Samples in each periodic grid, and the sampler steps used for them (DDIM).</summary>
    public int SampleCount { get; init; } = 64;

    public int SampleSteps { get; init; } = 100;

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
        if (!double.IsFinite(Schedule.GammaMin) || !double.IsFinite(Schedule.GammaMax)) throw new ArgumentException($"gamma min and max must be finite (got {Schedule.GammaMin}, {Schedule.GammaMax})");
        if (Schedule.Kind == ScheduleKind.MonotoneNet && Schedule.Features < 1) throw new ArgumentException($"schedule features must be ≥ 1 (got {Schedule.Features})");
        if (!Enum.IsDefined(Diffusion.Weighting)) throw new ArgumentException($"unknown weighting {Diffusion.Weighting}");
        if (!double.IsFinite(Diffusion.WeightingBias)) throw new ArgumentException($"weighting bias must be finite (got {Diffusion.WeightingBias})");
        if (Diffusion.Vocab < 2) throw new ArgumentException($"vocab must be ≥ 2 (got {Diffusion.Vocab})");
        if (Diffusion.TimeSteps < 0) throw new ArgumentException($"time steps must be ≥ 0 (got {Diffusion.TimeSteps})");
        if (!(Schedule.GammaMax > Schedule.GammaMin)) throw new ArgumentException($"gamma max ({Schedule.GammaMax}) must exceed gamma min ({Schedule.GammaMin})");
        foreach (var (name, value) in new[] { ("eval-every", EvalEvery), ("eval-examples", EvalExamples), ("sample-every", SampleEvery), ("checkpoint-every", CheckpointEvery) })
            if (value < 0) throw new ArgumentException($"{name} must be ≥ 0 (got {value})");
        if (SampleCount < 1) throw new ArgumentException($"sample count must be ≥ 1 (got {SampleCount})");
        if (SampleSteps < 1) throw new ArgumentException($"sample steps must be ≥ 1 (got {SampleSteps})");
        if (KeepCheckpoints < 1) throw new ArgumentException($"keep-checkpoints must be ≥ 1 (got {KeepCheckpoints})");
        if (LogEvery < 1) throw new ArgumentException($"log-every must be ≥ 1 (got {LogEvery})");
    }
}
