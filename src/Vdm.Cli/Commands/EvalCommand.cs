using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Evaluation;

namespace Vdm.Cli.Commands;

/// <summary>What <c>vdm eval</c> was asked for.</summary>
public sealed record EvalArgs
{
    public required string Source { get; init; }
    public int? Examples { get; init; }
    public int TimeSamples { get; init; } = 1;
    public int? TimeSteps { get; init; }
    public int BatchSize { get; init; } = 256;
    public long Seed { get; init; }
    public bool Json { get; init; }
    public string? PerTime { get; init; }
    public bool Online { get; init; }
    public string? DataDir { get; init; }
    public string? Shard { get; init; }
    public bool SampleQuality { get; init; }
    public int QualitySamples { get; init; } = 1000;
    public int? QualitySteps { get; init; }
    public Vdm.Sampling.SamplerKind? QualitySampler { get; init; }
    public double? QualityGuidance { get; init; }
    public bool QualityNoClip { get; init; }
    public TorchSharp.torch.Device? Device { get; init; }
    public bool Variance { get; init; }
}

/// <summary><c>vdm eval RUN|CHECKPOINT</c>: the variational bound on the test split, term by term, in bits/dim.</summary>
public static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var source = new Argument<string>("RUN|CHECKPOINT") { Description = "A run folder (its newest checkpoint) or a checkpoint file" };
        var examples = Opt.Int("--examples", "Test examples to use (default: the whole test split)", min: 1);
        var timeSamples = Opt.Int("--time-samples", "Diffusion-term time samples per example (default 1)", min: 1, helpName: "K");
        var timeSteps = Opt.Int("--time-steps", "Evaluate the discrete-time bound with T steps (0 = continuous; default: the model's)", min: 0, helpName: "T");
        var batchSize = Opt.Int("--batch-size", "Examples per forward pass (default 256)", min: 1);
        var seed = Opt.Long("--seed", "Random seed (default 0)");
        var json = Opt.Flag("--json", "Print the result as one JSON object on stdout");
        var perTime = Opt.Text("--per-time", "Also write the diffusion-loss integrand against t (.csv, or a .png plot)", "FILE");
        var online = Opt.Flag("--online", "Use the online weights instead of the EMA");
        var dataDir = Opt.Text("--data-dir", "Data cache folder", "DIR");
        var shard = Opt.Text("--shard", "Evaluate only shard i of n of the examples into eval.shard-i-of-n.json next to the checkpoint, for `vdm merge` (default: from mpirun, srun, a Slurm array or a Kubernetes indexed job)", "i/n");
        var sampleQuality = Opt.Flag("--sample-quality", "Also draw samples and score them with the dataset's classifier (Fréchet distance of its features, confidence, class entropy)");
        var samples = Opt.Int("--samples", "Samples for --sample-quality (default 1000; at most half the test split)", min: 2);
        var variance = Opt.Flag("--variance", "Also report the mean and variance over examples of the diffusion-loss estimate (one random t per example and time sample), in bits/dim");
        var qualitySteps = Opt.Int("--sample-steps", "Sampler steps for --sample-quality (default: the run's sample steps)", min: 1);
        var qualitySampler = Opt.Choice("--sampler", "Sampler for --sample-quality: ddim or ancestral (default: the run's sampler)", SampleCommand.SamplerWords);
        var guidance = Opt.Double("--guidance", "Classifier-free guidance weight w for --sample-quality (class-conditional models; default: the run's sample guidance)", 0, helpName: "W");

        var noClip = Opt.Flag("--no-clip", "For --sample-quality: do not clip each step's denoised image x̂ to the data's range (the ancestral sampler then draws from the model's own reverse process)");

        var command = new Command("eval", "Evaluate the variational bound (bits/dim) on the test split");
        command.Add(source);
        var device = DeviceOption.Create();
        foreach (var option in new Option[] { examples, timeSamples, timeSteps, batchSize, seed, json, perTime, online, dataDir, sampleQuality, samples, qualitySteps, qualitySampler, guidance, noClip, variance, shard, device })
            command.Add(option);
        CommandTree.SetHandler(command, context, parsed => EvalAction.Run(context, new EvalArgs
        {
            Device = DeviceOption.Parse(parsed.GetValue(device)), // first: checked before any work starts
            Source = parsed.GetValue(source)!,
            Examples = parsed.GetValue(examples),
            TimeSamples = parsed.GetValue(timeSamples) ?? 1,
            TimeSteps = parsed.GetValue(timeSteps),
            BatchSize = parsed.GetValue(batchSize) ?? 256,
            Seed = parsed.GetValue(seed) ?? 0,
            Json = parsed.GetValue(json),
            PerTime = parsed.GetValue(perTime),
            Online = parsed.GetValue(online),
            DataDir = parsed.GetValue(dataDir),
            Shard = parsed.GetValue(shard),
            SampleQuality = parsed.GetValue(sampleQuality),
            QualitySamples = parsed.GetValue(samples) ?? 1000,
            QualitySteps = parsed.GetValue(qualitySteps),
            QualitySampler = parsed.GetValue(qualitySampler),
            QualityGuidance = parsed.GetValue(guidance),
            QualityNoClip = parsed.GetValue(noClip),
            Variance = parsed.GetValue(variance),
        }));
        return command;
    }
}
