using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Sampling;

namespace Vdm.Cli.Commands;

/// <summary>What <c>vdm sample</c> was asked for.</summary>
public sealed record SampleArgs
{
    public required string Source { get; init; }
    public int Count { get; init; } = 64;
    public SamplerKind? Sampler { get; init; }
    public int? Steps { get; init; }
    public long Seed { get; init; }
    public int? Class { get; init; }
    public double? Guidance { get; init; }
    public bool NoClip { get; init; }
    public bool Online { get; init; }
    public string? Out { get; init; }
    public bool Trajectory { get; init; }
    public bool SampleDecoder { get; init; }
    public int? Columns { get; init; }
    public string? Shard { get; init; }
    public string? OutDir { get; init; }
    public TorchSharp.torch.Device? Device { get; init; }
}

/// <summary><c>vdm sample RUN|CHECKPOINT</c>: draw samples from a trained model and write them as a PNG grid.</summary>
public static class SampleCommand
{
    internal static readonly IReadOnlyDictionary<string, SamplerKind> SamplerWords =
        Enum.GetValues<SamplerKind>().ToDictionary(Sampler.Name);

    public static Command Create(CliContext context)
    {
        var source = new Argument<string>("RUN|CHECKPOINT") { Description = "A run folder (its newest checkpoint) or a checkpoint file" };
        var count = Opt.Int("--count", "Number of samples (default 64)", min: 1);
        var sampler = Opt.Choice("--sampler", "ancestral (the model's reverse process) or ddim (deterministic); default: the run's sampler", SamplerWords);
        var steps = Opt.Int("--steps", "Reverse steps (default: T of a discrete-time model, else the run's sample steps)", min: 1);
        var seed = Opt.Long("--seed", "Random seed (sample i depends on (seed, i) only); default 0");
        var cls = Opt.Int("--class", "Class label for every sample (class-conditional models; default: cycle through the classes)", min: 0, helpName: "K");
        var guidance = Opt.Double("--guidance", "Classifier-free guidance weight w (class-conditional models; default: the run's sample guidance)", 0, helpName: "W");
        var noClip = Opt.Flag("--no-clip", "Do not clip each step's denoised image x̂ to the data's range (the ancestral sampler then draws from the model's own reverse process)");
        var online = Opt.Flag("--online", "Use the online weights instead of the EMA");
        var output = Opt.Text("--out", "Output PNG (default: <run>/samples/sample-<step>-<sampler>-<seed>.png)", "FILE.png");
        var trajectory = Opt.Flag("--trajectory", "Also write the reverse trajectory (z_t at evenly spaced steps) next to --out");
        var sampleDecoder = Opt.Flag("--sample-decoder", "Draw x from p(x|z_0) instead of taking its most likely value");
        var columns = Opt.Int("--columns", "Images per row of the grid (default: the number of classes when the samples cycle through them, else √count)", min: 1);
        var shard = Opt.Text("--shard", "Draw only shard i of n of the samples into <out>.shard-i-of-n.json, for `vdm merge` (default: from mpirun, srun, a Slurm array or a Kubernetes indexed job)", "i/n");
        var outDir = Opt.Text("--out-dir", "Also write one PNG per sample into DIR, named by global sample index (sample-000000.png, …); without --out, no grid", "DIR");

        var command = new Command("sample", "Draw samples from a trained model into a PNG grid");
        command.Add(source);
        var device = DeviceOption.Create();
        foreach (var option in new Option[] { count, sampler, steps, seed, cls, guidance, noClip, online, output, trajectory, sampleDecoder, columns, outDir, shard, device })
            command.Add(option);
        CommandTree.SetHandler(command, context, parsed => SampleAction.Run(context, new SampleArgs
        {
            Device = DeviceOption.Parse(parsed.GetValue(device)), // first: checked before any work starts
            Source = parsed.GetValue(source)!,
            Count = parsed.GetValue(count) ?? 64,
            Sampler = parsed.GetValue(sampler),
            Steps = parsed.GetValue(steps),
            Seed = parsed.GetValue(seed) ?? 0,
            Class = parsed.GetValue(cls),
            Guidance = parsed.GetValue(guidance),
            NoClip = parsed.GetValue(noClip),
            Online = parsed.GetValue(online),
            Out = parsed.GetValue(output),
            Trajectory = parsed.GetValue(trajectory),
            SampleDecoder = parsed.GetValue(sampleDecoder),
            Columns = parsed.GetValue(columns),
            Shard = parsed.GetValue(shard),
            OutDir = parsed.GetValue(outDir),
        }));
        return command;
    }
}
