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
    public long? Seed { get; init; }
    public int? Threads { get; init; }
    public ScheduleKind? Schedule { get; init; }
    public int? TimeSteps { get; init; }
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

    /// <summary>Options that shape the model or the data: fixed once a run exists.</summary>
    /// <remarks>--preset and --dataset are not listed: when resuming they only locate the default run folder.</remarks>
    public IEnumerable<string> ModelShapingOptionsGiven()
    {
        if (Schedule is not null) yield return "--schedule";
        if (TimeSteps is not null) yield return "--time-steps";
        if (Network is not null) yield return "--network";
        if (Channels is not null) yield return "--channels";
        if (Blocks is not null) yield return "--blocks";
        if (ChannelMultipliers is not null) yield return "--channel-mults";
        if (Attention is not null) yield return "--attention";
        if (Dropout is not null) yield return "--dropout";
        if (ClassConditional) yield return "--class-conditional";
        if (EvalEvery is not null) yield return "--eval-every";
        if (SampleEvery is not null) yield return "--sample-every";
        if (CheckpointEvery is not null) yield return "--checkpoint-every";
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
    public Option<string?> Dataset { get; } = Opt.Text("--dataset", "Catalogue name (see `vdm data list`) or a folder of IDX files", "NAME|PATH");
    public Option<string?> Run { get; } = Opt.Text("--run", "Run folder (default: runs/<preset>-<time>); must be new or empty unless --resume", "DIR");
    public Option<int?> Steps { get; } = Opt.Int("--steps", "Total optimiser steps (a resumed run continues to this count); without --minutes, drops the preset's time budget", min: 1);
    public Option<double?> Minutes { get; } = Opt.Double("--minutes", "Stop after this many minutes of training (a checkpoint is written)", 0, minExclusive: true, helpName: "M");
    public Option<int?> BatchSize { get; } = Opt.Int("--batch-size", "Examples per step", min: 1);
    public Option<double?> LearningRate { get; } = Opt.Double("--lr", "Peak learning rate of AdamW", 0, minExclusive: true);
    public Option<long?> Seed { get; } = Opt.Long("--seed", "Random seed (same seed and threads, same numbers)");
    public Option<int?> Threads { get; } = Opt.Int("--threads", "libtorch intra-op threads (0 = its default)", min: 0);
    public Option<Vdm.Schedules.ScheduleKind?> Schedule { get; } = Opt.Choice("--schedule", "Noise schedule γ(t)", ScheduleWords);
    public Option<int?> TimeSteps { get; } = Opt.Int("--time-steps", "Discrete-time bound with T steps (0 = continuous time)", min: 0, helpName: "T");
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

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Preset, Dataset, Run, Steps, Minutes, BatchSize, LearningRate, Seed, Threads, Schedule, TimeSteps, Network,
                     Channels, Blocks, ChannelMultipliers, Attention, Dropout, Ema, EvalEvery, SampleEvery, CheckpointEvery, DataDir, Resume, ClassConditional,
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
        Seed = parsed.GetValue(Seed),
        Threads = parsed.GetValue(Threads),
        Schedule = parsed.GetValue(Schedule),
        TimeSteps = parsed.GetValue(TimeSteps),
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
    };
}
