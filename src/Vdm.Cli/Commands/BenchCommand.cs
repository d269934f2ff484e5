using System.CommandLine;
using Vdm.Benchmarking;
using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

/// <summary>What <c>vdm bench</c> was asked for.</summary>
public sealed record BenchArgs
{
    public required string Config { get; init; }
    public BenchOptions Options { get; init; } = new();
    public string? JsonOut { get; init; }
    public string? WaitPolicy { get; init; }
    public TorchSharp.torch.Device? Device { get; init; }
}

/// <summary><c>vdm bench --config NAME</c>: training and sampling speed, FLOPs, sgemm peak and memory, as JSON.</summary>
public static class BenchCommand
{
    private static readonly IReadOnlyDictionary<string, string> WaitPolicies = new Dictionary<string, string>
    {
        ["passive"] = "PASSIVE",
        ["active"] = "ACTIVE",
    };

    public static Command Create(CliContext context)
    {
        var defaults = new BenchOptions();
        var config = new Option<string>("--config")
        {
            Description = $"Named configuration: {string.Join(", ", BenchConfigs.Names)}",
            HelpName = "NAME",
            Required = true,
        };
        config.AcceptOnlyFromAmong([.. BenchConfigs.Names]);
        var repeats = Opt.Int("--repeats", $"Timed training steps; the report gives their median (default {defaults.Repeats})", min: 1);
        var warmup = Opt.Int("--warmup", $"Untimed training steps first (default {defaults.Warmup})", min: 0);
        var threads = Opt.Int("--threads", "libtorch intra-op threads (default: libtorch's choice, one per core)", min: 1);
        var soak = Opt.Int("--soak", "Then train N more steps watching resident memory and live tensors (default 0: no soak)", min: 0);
        var jsonOut = Opt.Text("--json-out", "Also write the JSON to FILE", "FILE");
        var ancestral = Opt.Int("--ancestral-steps", $"Steps of the timed ancestral sampler run (default {defaults.AncestralSteps})", min: 2);
        var ddim = Opt.Int("--ddim-steps", $"Steps of the timed DDIM run (default {defaults.DdimSteps})", min: 2);
        var noSampling = Opt.Flag("--no-sampling", "Measure training only");
        var mallocDefault = Opt.Flag("--malloc-default", "Leave glibc's allocator as it is (by default freed memory is kept in the heap, see docs/performance.md)");
        var sgemmSize = Opt.Int("--sgemm-size", $"Size n of the n×n sgemm that measures the matrix-multiply peak (default {defaults.SgemmSize})", min: 64);
        var waitPolicy = new Option<string?>("--omp-wait")
        {
            Description = "OpenMP wait policy of libtorch's threads: passive (sleep at once; best on a shared machine) or active (spin); default: libgomp's",
            HelpName = "passive|active",
        };
        waitPolicy.AcceptOnlyFromAmong([.. WaitPolicies.Keys]);

        var command = new Command("bench", "Measure training and sampling speed, FLOPs and memory of a named configuration (JSON on stdout, table on stderr)");
        var device = DeviceOption.Create();
        foreach (var option in new Option[] { config, repeats, warmup, threads, soak, jsonOut, ancestral, ddim, noSampling, sgemmSize, mallocDefault, waitPolicy, device })
            command.Add(option);
        CommandTree.SetHandler(command, context, parsed => BenchAction.Run(context, new BenchArgs
        {
            Device = DeviceOption.Parse(parsed.GetValue(device)), // first: checked before any work starts
            Config = parsed.GetValue(config)!,
            Options = defaults with
            {
                Repeats = parsed.GetValue(repeats) ?? defaults.Repeats,
                Warmup = parsed.GetValue(warmup) ?? defaults.Warmup,
                Threads = parsed.GetValue(threads) ?? 0,
                Soak = parsed.GetValue(soak) ?? 0,
                AncestralSteps = parsed.GetValue(ancestral) ?? defaults.AncestralSteps,
                DdimSteps = parsed.GetValue(ddim) ?? defaults.DdimSteps,
                SkipSampling = parsed.GetValue(noSampling),
                SgemmSize = parsed.GetValue(sgemmSize) ?? defaults.SgemmSize,
                KeepFreedMemory = !parsed.GetValue(mallocDefault),
            },
            JsonOut = parsed.GetValue(jsonOut),
            WaitPolicy = parsed.GetValue(waitPolicy) is { } p ? WaitPolicies[p] : null,
        }));
        return command;
    }
}
