using System.Diagnostics.CodeAnalysis;
using Vdm.Schedules;

namespace Vdm.Networks;

/// <summary>Builds the <see cref="Denoiser"/> a <see cref="ModelConfig"/> describes, after checking the config.</summary>
public static class DenoiserFactory
{
    public static Denoiser Create(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config, config.Network);
        return config.Network switch
        {
            NetworkKind.VdmUNet => new VdmUNet(config),
            NetworkKind.MultiResUNet => new MultiResUNet(config),
            NetworkKind.Mlp => new MlpScoreNet(config),
            _ => throw new ArgumentException($"unknown network kind {config.Network}", nameof(config)),
        };
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first problem that stops
    /// <paramref name="config"/> from describing a network of kind <paramref name="kind"/>.</summary>
    public static void Validate(ModelConfig config, NetworkKind kind)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!Enum.IsDefined(kind)) Fail($"unknown network kind {kind}");
        if (!Enum.IsDefined(config.Prediction)) Fail($"unknown prediction {config.Prediction}");

        var shape = config.DataShape;
        if (shape is null || shape.Length == 0) Fail("DataShape is empty");
        if (shape.Any(d => d < 1)) Fail($"DataShape [{string.Join(", ", shape)}] has a non-positive dimension");
        var rank = kind == NetworkKind.Mlp ? 1 : 3;
        var expected = kind == NetworkKind.Mlp ? "[D]" : "[C, H, W]";
        if (shape.Length != rank)
            Fail($"{kind} needs DataShape {expected}, got [{string.Join(", ", shape)}] (rank {shape.Length})");

        if (config.Channels < 4) Fail($"Channels must be at least 4 (the sinusoidal time embedding has Channels dimensions), got {config.Channels}");
        if (config.Blocks < 1) Fail($"Blocks must be at least 1, got {config.Blocks}");
        if (!(config.Dropout >= 0 && config.Dropout < 1)) Fail($"Dropout must be in [0, 1), got {config.Dropout}");
        if (config.NumClasses < 0) Fail($"NumClasses cannot be negative, got {config.NumClasses}");
        GammaRange.Check(config.GammaMin, config.GammaMax, "the network's gamma");

        if (kind == NetworkKind.MultiResUNet)
        {
            var multipliers = config.ChannelMultipliers;
            if (multipliers is null || multipliers.Length == 0) Fail("ChannelMultipliers is empty: the multi-resolution U-Net needs at least one level");
            if (multipliers.Any(m => m < 1)) Fail($"ChannelMultipliers [{string.Join(", ", multipliers)}] must all be at least 1");
            if (multipliers.Any(m => (long)m * config.Channels > int.MaxValue)) Fail("Channels × ChannelMultipliers overflows");
            if (config.PatchSize is < 1 or > 8) Fail($"PatchSize must be in [1, 8], got {config.PatchSize}");
            if (shape[1] % config.PatchSize != 0 || shape[2] % config.PatchSize != 0)
                Fail($"PatchSize {config.PatchSize} does not divide the image size {shape[1]}×{shape[2]}");
        }
        else if (config.PatchSize != 1)
        {
            Fail($"PatchSize applies to the multi-resolution U-Net only ({kind} works on pixels), got {config.PatchSize}");
        }

        // AdaGN modulates a GroupNorm, and the MLP score network has none to modulate.
        if (kind == NetworkKind.Mlp && config.ScaleShift)
            Fail("ScaleShift applies to the U-Nets only (the MLP has no group normalisation to scale and shift)");
    }

    [DoesNotReturn]
    private static void Fail(string message) => throw new ArgumentException(message, "config");
}
