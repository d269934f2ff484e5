using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Networks;
using Vdm.Schedules;

namespace Vdm.Cli.Commands;

/// <summary>What <c>vdm train</c> was asked for; null means "not given" (keep the preset's or the run's value).</summary>
public sealed record TrainArgs
{
    public string? Preset { get; init; }
    public string? Dataset { get; init; }
    public string? RunDir { get; init; }
    public int? Steps { get; init; }
    public double? Minutes { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public int? WarmupSteps { get; init; }
    public long? Seed { get; init; }
    public int? Threads { get; init; }
    public ScheduleKind? Schedule { get; init; }
    public bool? MinimiseVariance { get; init; }
    public int? TimeSteps { get; init; }
    public Vdm.Diffusion.Weighting? Weighting { get; init; }
    public double? WeightingBias { get; init; }
    public NetworkKind? Network { get; init; }
    public int? Channels { get; init; }
    public int? Blocks { get; init; }
    public int[]? ChannelMultipliers { get; init; }
    public bool? Attention { get; init; }
    public double? Dropout { get; init; }
    public double? Ema { get; init; }
    public int? EvalEvery { get; init; }
    public int? SampleEvery { get; init; }
    public int? CheckpointEvery { get; init; }
    public string? DataDir { get; init; }
    public bool Resume { get; init; }
    public bool ClassConditional { get; init; }
    public DistributedMode? Distributed { get; init; }
    public int? CommTimeout { get; init; }
    public int? ImageSize { get; init; }
    public int? ImageChannels { get; init; }
    public bool SkipBadImages { get; init; }

    /// <summary>The options given with values that differ from a run's stored config: fixed once a run exists.
    /// Repeating a run's own values (the same command line plus --resume) is fine; only --steps, --minutes and
    /// --threads may change.</summary>
    /// <remarks>--preset and --dataset are not listed: when resuming they only locate the default run folder.</remarks>
    public IEnumerable<string> ConflictsWith(Vdm.Training.RunConfig stored)
    {
        var model = stored.Model;
        var train = stored.Train;
        if (Schedule is { } schedule && schedule != stored.Schedule.Kind) yield return "--schedule";
        if (MinimiseVariance is { } minimise && minimise != stored.Schedule.MinimiseVariance) yield return "--minimise-variance";
        if (TimeSteps is { } timeSteps && timeSteps != stored.Diffusion.TimeSteps) yield return "--time-steps";
        if (Weighting is { } weighting && weighting != stored.Diffusion.Weighting) yield return "--weighting";
        if (WeightingBias is { } bias && bias != stored.Diffusion.WeightingBias) yield return "--weighting-bias";
        if (Network is { } network && network != model.Network) yield return "--network";
        if (Channels is { } channels && channels != model.Channels) yield return "--channels";
        if (Blocks is { } blocks && blocks != model.Blocks) yield return "--blocks";
        if (ChannelMultipliers is { } mults && !mults.SequenceEqual(model.ChannelMultipliers)) yield return "--channel-mults";
        if (Attention is { } attention && attention != model.Attention) yield return "--attention";
        if (Dropout is { } dropout && dropout != model.Dropout) yield return "--dropout";
        if (ClassConditional && model.NumClasses == 0) yield return "--class-conditional";
        if (EvalEvery is { } evalEvery && evalEvery != stored.EvalEvery) yield return "--eval-every";
        if (SampleEvery is { } sampleEvery && sampleEvery != stored.SampleEvery) yield return "--sample-every";
        if (CheckpointEvery is { } checkpointEvery && checkpointEvery != stored.CheckpointEvery) yield return "--checkpoint-every";
        if (BatchSize is { } batch && batch != train.BatchSize) yield return "--batch-size";
        if (LearningRate is { } lr && lr != train.LearningRate) yield return "--lr";
        if (WarmupSteps is { } warmup && warmup != train.WarmupSteps) yield return "--warmup";
        if (Seed is { } seed && seed != train.Seed) yield return "--seed";
        if (Ema is { } ema && ema != train.EmaDecay) yield return "--ema";
        if (ImageSize is { } size && size != stored.Images?.ImageSize) yield return "--image-size";
        if (ImageChannels is { } imageChannels && imageChannels != stored.Images?.Channels) yield return "--image-channels";
        if (SkipBadImages && stored.Images is { SkipBadImages: false }) yield return "--skip-bad-images";
    }
}

/// <summary>The options of <c>vdm train</c>, with their range checks.</summary>
public sealed class TrainOptionSet
{
    public static readonly IReadOnlyDictionary<string, ScheduleKind> ScheduleWords = new Dictionary<string, ScheduleKind>
    {
        ["fixed"] = ScheduleKind.FixedLinear,
        ["learned"] = ScheduleKind.LearnedScalar,
        ["monotone"] = ScheduleKind.MonotoneNet,
    };

    public static readonly IReadOnlyDictionary<string, Vdm.Diffusion.Weighting> WeightingWords = new Dictionary<string, Vdm.Diffusion.Weighting>
    {
        ["vlb"] = Vdm.Diffusion.Weighting.Vlb,
        ["sigmoid"] = Vdm.Diffusion.Weighting.Sigmoid,
        ["simple"] = Vdm.Diffusion.Weighting.Simple,
    };

    public static readonly IReadOnlyDictionary<string, NetworkKind> NetworkWords = new Dictionary<string, NetworkKind>
    {
        ["vdm"] = NetworkKind.VdmUNet,
        ["multires"] = NetworkKind.MultiResUNet,
        ["mlp"] = NetworkKind.Mlp,
    };

    /// <summary>on|off words; an enum, not bool, because System.CommandLine parses bool options as flags.</summary>
    public enum Switch { Off, On }

    public static readonly IReadOnlyDictionary<string, Switch> OnOff = new Dictionary<string, Switch> { ["on"] = Switch.On, ["off"] = Switch.Off };

    public Option<string?> Preset { get; } = Opt.Text("--preset", "Start from a named preset (default: mnist)", "NAME");
    public Option<string?> Dataset { get; } = Opt.Text("--dataset", "Catalogue name (see `vdm data list`), a folder of IDX files, or a folder of PNG/JPEG images (class sub-folders = labels)", "NAME|PATH");
    public Option<string?> Run { get; } = Opt.Text("--run", "Run folder (default: runs/<preset>-<time>); must be new or empty unless --resume", "DIR");
    public Option<int?> Steps { get; } = Opt.Int("--steps", "Total optimiser steps (a resumed run continues to this count); without --minutes, drops the preset's time budget", min: 1);
    public Option<double?> Minutes { get; } = Opt.Double("--minutes", "Stop after this many minutes of training (a checkpoint is written)", 0, minExclusive: true, helpName: "M");
    public Option<int?> BatchSize { get; } = Opt.Int("--batch-size", "Examples per step", min: 1);
    public Option<double?> LearningRate { get; } = Opt.Double("--lr", "Peak learning rate of AdamW", 0, minExclusive: true);
    public Option<int?> WarmupSteps { get; } = Opt.Int("--warmup", "Steps of linear learning-rate warm-up from 0 (then cosine decay to the last step)", min: 0);
    public Option<long?> Seed { get; } = Opt.Long("--seed", "Random seed (same seed and threads, same numbers)");
    public Option<int?> Threads { get; } = Opt.Int("--threads", "libtorch intra-op threads (0 = its default)", min: 0);
    public Option<Vdm.Schedules.ScheduleKind?> Schedule { get; } = Opt.Choice("--schedule", "Noise schedule γ(t)", ScheduleWords);
    public Option<Switch?> MinimiseVariance { get; } = Opt.Choice("--minimise-variance",
        "Monotone schedule: train its shape to minimise the variance of the diffusion loss, the endpoints on the bound (VDM Appendix I.2; default off)", OnOff);
    public Option<int?> TimeSteps { get; } = Opt.Int("--time-steps", "Discrete-time bound with T steps (0 = continuous time)", min: 0, helpName: "T");
    public Option<Vdm.Diffusion.Weighting?> Weighting { get; } = Opt.Choice("--weighting",
        "Weighting of the diffusion term in training: vlb (the bound), sigmoid (the bound × sigmoid(b − log-SNR), Kingma & Gao 2023) or simple (L_simple); bits/dim always report the bound",
        WeightingWords);
    public Option<double?> WeightingBias { get; } = Opt.Double("--weighting-bias", "The bias b of --weighting sigmoid: the log-SNR at which the weight is ½", -30, 30, helpName: "B");
    public Option<NetworkKind?> Network { get; } = Opt.Choice("--network", "Denoising network", NetworkWords);
    public Option<int?> Channels { get; } = Opt.Int("--channels", "Base channels (U-Nets) or hidden width (MLP)", min: 1);
    public Option<int?> Blocks { get; } = Opt.Int("--blocks", "ResNet blocks per level (U-Nets) or layers (MLP)", min: 1);
    public Option<int[]?> ChannelMultipliers { get; } = Opt.IntList("--channel-mults", "Channels of each resolution level of the multi-res U-Net, as multiples of --channels (e.g. 1,2,2)", 1, 64);
    public Option<Switch?> Attention { get; } = Opt.Choice("--attention", "Self-attention in the U-Net's middle (and lowest level of the multi-res U-Net)", OnOff);
    public Option<double?> Dropout { get; } = Opt.Double("--dropout", "Dropout probability", 0, 1, maxExclusive: true);
    public Option<double?> Ema { get; } = Opt.Double("--ema", "EMA decay (warmed up: min(d, (1+step)/(10+step)))", 0, 1, maxExclusive: true);
    public Option<int?> EvalEvery { get; } = Opt.Int("--eval-every", "Evaluate test bits/dim every N steps (0 = never)", min: 0);
    public Option<int?> SampleEvery { get; } = Opt.Int("--sample-every", "Write a sample grid every N steps (0 = never)", min: 0);
    public Option<int?> CheckpointEvery { get; } = Opt.Int("--checkpoint-every", "Write a checkpoint every N steps (0 = only at the end)", min: 0);
    public Option<string?> DataDir { get; } = Opt.Text("--data-dir", "Data cache folder (default: $VDM_DATA or ~/.cache/vdm)", "DIR");
    public Option<bool> Resume { get; } = Opt.Flag("--resume", "Continue the run in --run from its newest checkpoint");
    public Option<bool> ClassConditional { get; } = Opt.Flag("--class-conditional", "Condition on class labels (enables --class and --guidance when sampling)");
    public Option<DistributedMode?> Distributed { get; } = DistributedOptions.Mode();
    public Option<int?> CommTimeout { get; } = DistributedOptions.Timeout();
    public Option<int?> ImageSize { get; } = Opt.Int("--image-size", "Folder of images: centre-crop each to a square and resize to N×N (default: keep the size, which all must share)", 1, 4096);
    public Option<int?> ImageChannels { get; } = Opt.Int("--image-channels", "Folder of images: 1 (grey) or 3 (RGB) (default: as the first image is stored)", 1, 3, helpName: "1|3");
    public Option<bool> SkipBadImages { get; } = Opt.Flag("--skip-bad-images", "Folder of images: skip files that cannot be decoded or have the wrong size (counted) instead of stopping");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Preset, Dataset, Run, Steps, Minutes, BatchSize, LearningRate, WarmupSteps, Seed, Threads, Schedule, MinimiseVariance, TimeSteps, Weighting, WeightingBias, Network,
                     Channels, Blocks, ChannelMultipliers, Attention, Dropout, Ema, EvalEvery, SampleEvery, CheckpointEvery, DataDir, Resume, ClassConditional,
                     Distributed, CommTimeout,
                     ImageSize, ImageChannels, SkipBadImages,
                 })
            command.Add(option);
    }

    public TrainArgs Read(ParseResult parsed) => new()
    {
        Preset = parsed.GetValue(Preset),
        Dataset = parsed.GetValue(Dataset),
        RunDir = parsed.GetValue(Run),
        Steps = parsed.GetValue(Steps),
        Minutes = parsed.GetValue(Minutes),
        BatchSize = parsed.GetValue(BatchSize),
        LearningRate = parsed.GetValue(LearningRate),
        WarmupSteps = parsed.GetValue(WarmupSteps),
        Seed = parsed.GetValue(Seed),
        Threads = parsed.GetValue(Threads),
        Schedule = parsed.GetValue(Schedule),
        MinimiseVariance = parsed.GetValue(MinimiseVariance) is { } minimise ? minimise == Switch.On : null,
        TimeSteps = parsed.GetValue(TimeSteps),
        Weighting = parsed.GetValue(Weighting),
        WeightingBias = parsed.GetValue(WeightingBias),
        Network = parsed.GetValue(Network),
        Channels = parsed.GetValue(Channels),
        Blocks = parsed.GetValue(Blocks),
        ChannelMultipliers = parsed.GetValue(ChannelMultipliers) is { Length: > 0 } mults ? mults : null, // absent reads as empty
        Attention = parsed.GetValue(Attention) is { } attention ? attention == Switch.On : null,
        Dropout = parsed.GetValue(Dropout),
        Ema = parsed.GetValue(Ema),
        EvalEvery = parsed.GetValue(EvalEvery),
        SampleEvery = parsed.GetValue(SampleEvery),
        CheckpointEvery = parsed.GetValue(CheckpointEvery),
        DataDir = parsed.GetValue(DataDir),
        Resume = parsed.GetValue(Resume),
        ClassConditional = parsed.GetValue(ClassConditional),
        Distributed = parsed.GetValue(Distributed),
        CommTimeout = parsed.GetValue(CommTimeout),
        ImageSize = parsed.GetValue(ImageSize),
        ImageChannels = parsed.GetValue(ImageChannels),
        SkipBadImages = parsed.GetValue(SkipBadImages),
    };
}
