using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vdm.Cli.Infrastructure;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Schedules;
using Vdm.Training;

namespace Vdm.Cli.Commands;

/// <summary>What <c>vdm train</c> was asked for: the everyday options, and every config field given (by a
/// shorthand flag or by <c>--set PATH=VALUE</c>) as a <see cref="ConfigSetting"/>, in the order they apply.</summary>
public sealed record TrainArgs
{
    public string? Preset { get; init; }
    public string? Dataset { get; init; }
    public string? RunDir { get; init; }
    public string? ConfigFile { get; init; }
    public IReadOnlyList<ConfigSetting> Settings { get; init; } = [];
    public string? DataDir { get; init; }
    public bool Resume { get; init; }
    public bool ClassConditional { get; init; }
    public DistributedMode? Distributed { get; init; }
    public int? CommTimeout { get; init; }
    public int? ImageSize { get; init; }
    public int? ImageChannels { get; init; }
    public bool SkipBadImages { get; init; }

    /// <summary>Where the model trains (<c>--device</c>; null: the CPU). Not part of the run's config: a run may resume on another device.</summary>
    public TorchSharp.torch.Device? Device { get; init; }
}

/// <summary>
/// The options of <c>vdm train</c>. Config fields have one generic option, <c>--set PATH=VALUE</c> (any field of
/// config.json), and <c>--config FILE</c>; the shorthand flags below are one line each, a flag name and the field it
/// sets, and parse and range-check their values like any other option. A new hyperparameter needs no line here.
/// </summary>
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

    /// <summary>A shorthand flag for one config field.</summary>
    private sealed record Shorthand(Option Option, string Path, Func<ParseResult, JsonNode?> Read);

    private static Shorthand For<T>(Option<T> option, string path, Func<T, object?>? convert = null) =>
        new(option, path, parsed =>
        {
            if (parsed.GetResult(option) is null || parsed.GetValue(option) is not { } value) return null;
            var converted = convert is null ? value : convert(value);
            return converted is null ? null : JsonSerializer.SerializeToNode(converted, RunConfig.JsonOptions);
        });

    private readonly Shorthand[] shorthands =
    [
        For(Opt.Int("--steps", "Total optimiser steps (a resumed run continues to this count); without --minutes, drops the preset's time budget", min: 1), "train.steps"),
        For(Opt.Double("--minutes", "Stop after this many minutes of training (a checkpoint is written); 0 = no time budget, as --set train.minutes=0", 0, helpName: "M"), "train.minutes"),
        For(Opt.Int("--batch-size", "Examples per step", min: 1), "train.batchSize"),
        For(Opt.Double("--lr", "Peak learning rate of AdamW", 0, minExclusive: true), "train.learningRate"),
        For(Opt.Int("--warmup", "Steps of linear learning-rate warm-up from 0 (then cosine decay to the last step)", min: 0), "train.warmupSteps"),
        For(Opt.Long("--seed", "Random seed (same seed and threads, same numbers)"), "train.seed"),
        For(Opt.Int("--threads", "libtorch intra-op threads (0 = its default)", min: 0), "train.threads"),
        For(Opt.Double("--ema", "EMA decay (warmed up: min(d, (1+step)/(10+step)))", 0, 1, maxExclusive: true), "train.emaDecay"),
        For(Opt.Choice("--schedule", "Noise schedule γ(t)", ScheduleWords), "schedule.kind"),
        For(Opt.Choice("--minimise-variance", "Monotone schedule: train its shape to minimise the variance of the diffusion loss, the endpoints on the bound (VDM Appendix I.2; default off)", OnOff), "schedule.minimiseVariance", s => s == Switch.On),
        For(Opt.Int("--time-steps", "Discrete-time bound with T steps (0 = continuous time)", min: 0, helpName: "T"), "diffusion.timeSteps"),
        For(Opt.Choice("--weighting",
            "Weighting of the diffusion term in training: vlb (the bound), sigmoid (the bound × sigmoid(b − log-SNR), Kingma & Gao 2023) or simple (L_simple); bits/dim always report the bound",
            WeightingWords), "diffusion.weighting"),
        For(Opt.Double("--weighting-bias", "The bias b of --weighting sigmoid: the log-SNR at which the weight is ½", -30, 30, helpName: "B"), "diffusion.weightingBias"),
        For(Opt.Choice("--network", "Denoising network", NetworkWords), "model.network"),
        For(Opt.Int("--channels", "Base channels (U-Nets) or hidden width (MLP)", min: 1), "model.channels"),
        For(Opt.Int("--blocks", "ResNet blocks per level (U-Nets) or layers (MLP)", min: 1), "model.blocks"),
        For(Opt.IntList("--channel-mults", "Channels of each resolution level of the multi-res U-Net, as multiples of --channels (e.g. 1,2,2)", 1, 64), "model.channelMultipliers",
            mults => mults is { Length: > 0 } ? mults : null),
        For(Opt.Choice("--attention", "Self-attention in the U-Net's middle (and lowest level of the multi-res U-Net)", OnOff), "model.attention", s => s == Switch.On),
        For(Opt.Double("--dropout", "Dropout probability", 0, 1, maxExclusive: true), "model.dropout"),
        For(Opt.Int("--eval-every", "Evaluate test bits/dim every N steps (0 = never)", min: 0), "evalEvery"),
        For(Opt.Int("--sample-every", "Write a sample grid every N steps (0 = never)", min: 0), "sampleEvery"),
        For(Opt.Int("--checkpoint-every", "Write a checkpoint every N steps (0 = only at the end)", min: 0), "checkpointEvery"),
    ];

    public Option<string?> Preset { get; } = Opt.Text("--preset", "Start from a named preset (default: mnist)", "NAME");
    public Option<string?> Config { get; } = Opt.Text("--config", "Start from a config file: the shape of a run's config.json, complete or partial (merged over the preset)", "FILE");
    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Set any config field by its path in config.json, e.g. --set train.learningRate=1e-3 --set model.channels=64 (repeatable; applied after the flags)",
        HelpName = "PATH=VALUE",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.OneOrMore,
    };
    public Option<string?> Dataset { get; } = Opt.Text("--dataset", "Catalogue name (see `vdm data list`), a folder of IDX files, or a folder of PNG/JPEG images (class sub-folders = labels)", "NAME|PATH");
    public Option<string?> Run { get; } = Opt.Text("--run", "Run folder (default: runs/<preset>[-<dataset>]); must be new or empty unless --resume", "DIR");
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
        foreach (var option in new Option[] { Preset, Dataset, Run, Config, Set }) command.Add(option);
        foreach (var shorthand in shorthands) command.Add(shorthand.Option);
        foreach (var option in new Option[] { DataDir, Resume, ClassConditional, Distributed, CommTimeout, ImageSize, ImageChannels, SkipBadImages }) command.Add(option);
    }

    public TrainArgs Read(ParseResult parsed)
    {
        var settings = new List<ConfigSetting>();
        foreach (var shorthand in shorthands)
            if (shorthand.Read(parsed) is { } value)
                settings.Add(new ConfigSetting(shorthand.Path, value, shorthand.Option.Name));
        foreach (var text in parsed.GetValue(Set) ?? []) settings.Add(ConfigSetting.Parse(text));
        return new TrainArgs
        {
            Preset = parsed.GetValue(Preset),
            Dataset = parsed.GetValue(Dataset),
            RunDir = parsed.GetValue(Run),
            ConfigFile = parsed.GetValue(Config),
            Settings = settings,
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
}
