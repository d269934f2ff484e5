using Vdm.Training;

namespace Vdm.Benchmarking;

/// <summary>The named configurations of <c>vdm bench</c>: each is a training preset at a fixed batch size.</summary>
public static class BenchConfigs
{
    private static readonly (string Name, string Description, Func<RunConfig> Make)[] All =
    [
        ("bench-vdm", "VDM U-Net at full resolution: 32 channels, 2 blocks, Fourier features, middle attention; batch 32 of 28×28×1; continuous time, learned scalar schedule",
            () => WithBatch(Presets.Get("vdm"), 32)),
        ("bench-default", "the network `vdm train` uses by default (preset mnist): multi-resolution U-Net 28→14→7, 32/64/64 channels; batch 64 of 28×28×1 (the preset trains at 16; 64 keeps docs/performance.md's figures comparable)",
            () => WithBatch(Presets.Get("mnist"), 64)),
        ("bench-cifar", "the CIFAR-10 preset: multi-resolution U-Net 32→16→8, 64/128/128 channels; batch 32 of 32×32×3",
            () => WithBatch(Presets.Get("cifar10"), 32)),
        ("bench-monotone", "the default's network (preset mnist) with the monotone-network schedule trained on the bound; batch 64 of 28×28×1",
            () => Monotone(minimiseVariance: false)),
        ("bench-monotone-variance", "as bench-monotone, the schedule's shape trained to minimise the diffusion loss's variance (VDM Appendix I.2)",
            () => Monotone(minimiseVariance: true)),
    ];

    public static IReadOnlyList<string> Names => All.Select(c => c.Name).ToList();

    /// <summary>The run configuration called <paramref name="name"/>; <see cref="ArgumentException"/> naming the known ones otherwise.</summary>
    public static RunConfig Get(string name) => Find(name).Make();

    public static string Describe(string name) => Find(name).Description;

    private static (string Name, string Description, Func<RunConfig> Make) Find(string name)
    {
        foreach (var entry in All)
            if (string.Equals(entry.Name, name, StringComparison.Ordinal)) return entry;
        throw new ArgumentException($"unknown bench configuration '{name}' (known: {string.Join(", ", All.Select(c => c.Name))})");
    }

    private static RunConfig Monotone(bool minimiseVariance)
    {
        var config = WithBatch(Presets.Get("mnist"), 64);
        return config with
        {
            Schedule = config.Schedule with { Kind = Vdm.Schedules.ScheduleKind.MonotoneNet, MinimiseVariance = minimiseVariance },
            Diffusion = config.Diffusion with { Weighting = Vdm.Diffusion.Weighting.Vlb },
        };
    }

    private static RunConfig WithBatch(RunConfig config, int batch) => config with { Train = config.Train with { BatchSize = batch } };
}
