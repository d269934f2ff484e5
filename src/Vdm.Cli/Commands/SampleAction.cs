using System.Diagnostics;
using Vdm.Cli.Infrastructure;
using Vdm.Diffusion;
using Vdm.Distributed;
using Vdm.Imaging;
using Vdm.Persistence;
using Vdm.Runtime;
using Vdm.Sampling;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm sample</c>: loads a model (EMA by default), checks the request against it, draws, writes a PNG.</summary>
public static class SampleAction
{
    /// <summary>Samples shown in the trajectory figure (one row each).</summary>
    private const int TrajectoryRows = 8;

    public static int Run(CliContext context, SampleArgs args)
    {
        MallocSettings.KeepFreedMemory(); // activations reuse the heap instead of faulting fresh pages in every step (docs/performance.md)
        if (args.Out is { } requested) CheckPng(requested, "--out");
        if (args.OutDir is { } dir && File.Exists(dir)) throw new UsageException($"--out-dir {dir}: is a file, not a folder");
        ConfigLimits.CheckSampleCount(args.Count, "--count"); // before the model is loaded: refused at once
        var shard = ShardSpec.Resolve(args.Shard);
        if (shard is not null && args.Trajectory) throw new UsageException("--trajectory cannot be sharded: draw it in one process");

        using var loaded = Checkpoint.LoadModel(args.Source, ema: !args.Online, device: args.Device);
        foreach (var why in loaded.Skipped) context.Error.WriteLine($"vdm sample: warning: skipping checkpoint: {why}; using {loaded.Path}");
        var config = loaded.Config;
        var shape = config.Model.DataShape;
        int classes = config.Model.NumClasses;
        if (args.Class is { } k)
        {
            if (classes == 0) throw new UsageException($"--class {k}: the model in {loaded.Path} is not class-conditional");
            if (k >= classes) throw new UsageException($"--class {k}: the model has classes 0..{classes - 1}");
        }
        if (args.Guidance is > 0 && classes == 0)
            throw new UsageException($"--guidance {args.Guidance}: the model in {loaded.Path} is not class-conditional");
        if (args.Trajectory && shape.Length != 3)
            throw new UsageException($"--trajectory needs image data; the model in {loaded.Path} draws vectors of shape [{string.Join(", ", shape)}]");

        if (args.OutDir is not null && shape.Length != 3)
            throw new UsageException($"--out-dir needs image data; the model in {loaded.Path} draws vectors of shape [{string.Join(", ", shape)}]");

        var kind = args.Sampler ?? config.Sampler;
        double guidance = args.Guidance ?? config.SampleGuidance; // the run's own guidance unless told otherwise
        int steps = args.Steps ?? DefaultSteps(config);
        var output = Path.GetFullPath(args.Out ?? DefaultOutput(loaded, kind, args.Seed));
        var trajectoryPath = args.Trajectory ? Path.ChangeExtension(output, null) + "-trajectory.png" : null;

        var options = new SamplerOptions
        {
            Steps = steps,
            Seed = args.Seed,
            GuidanceScale = guidance,
            SampleDecoder = args.SampleDecoder,
            ClipDenoised = !args.NoClip,
            NumClasses = classes,
        };
        // Sample i depends on (seed, i) only (SampleNoise), so a shard draws its range of indices and `vdm merge` puts them together.
        var range = shard?.Of(args.Count) ?? BatchShard.For(0, 1, args.Count);
        options = options with { FirstIndex = range.Start };
        using var scope = NewDisposeScope();
        Tensor? labels = classes == 0 ? null
            : args.Class is { } c ? full(range.Count, c, ScalarType.Int64)
            : arange(range.Start, range.End, ScalarType.Int64) % classes;
        // One class per column when the labels cycle through the classes.
        int columns = args.Columns ?? Sampler.GridColumns(args.Count, args.Class is null ? classes : 0);
        var trajectory = args.Trajectory ? new TrajectoryRecorder(steps, Math.Min(args.Count, TrajectoryRows), config.Diffusion.Vocab, frames: 10) : null;

        context.Out.WriteLine($"sampling {args.Count} with {Sampler.Name(kind)} ({steps} steps, seed {args.Seed}" +
                              (args.Class is { } cls ? $", class {cls}" : "") + (guidance > 0 ? $", guidance {guidance}" : "") + (args.NoClip ? ", x̂ not clipped" : "") +
                              $") from {loaded.Path} (step {loaded.Step}, {(args.Online ? "online" : "EMA")} weights)");
        var clock = Stopwatch.StartNew();
        var samples = Sampler.Draw(loaded.Model, shape, (int)range.Count, kind, options, labels, trajectory is null ? null : trajectory.Observe);
        if (context.Cancel.IsCancellationRequested) throw new OperationCanceledException(context.Cancel);

        if (args.OutDir is { } eachDir)
        {
            var written = SampleImages.SaveEach(Path.GetFullPath(eachDir), samples, options.FirstIndex, config.Diffusion.Vocab);
            context.Out.WriteLine($"wrote {written.Count} PNGs to {Path.GetFullPath(eachDir)} ({Path.GetFileName(written[0])} … {Path.GetFileName(written[^1])})");
        }
        if (shard is { } part)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            var file = part.FileFor(output);
            ShardSamples.Save(file, samples, part, args.Count, columns, config.Diffusion.Vocab,
                $"{Path.GetFullPath(loaded.Path)}|{(args.Online ? "online" : "ema")}|{Sampler.Name(kind)}|{steps} steps|seed {args.Seed}|class {args.Class}|guidance {guidance}|decoder {args.SampleDecoder}|out {output}");
            context.Out.WriteLine($"wrote shard {part} (samples {range.Start}..{range.End - 1} of {args.Count}) to {file} ({clock.Elapsed.TotalSeconds:0.0} s); combine the shards with: vdm merge --out {output} {Path.ChangeExtension(output, null)}.shard-*-of-{part.Count}.json");
            return ExitCodes.Success;
        }
        if (args.OutDir is null || args.Out is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            SampleImages.SaveGrid(output, samples, columns, config.Diffusion.Vocab);
            context.Out.WriteLine($"wrote {output} ({clock.Elapsed.TotalSeconds:0.0} s)");
        }
        if (trajectory is not null && trajectoryPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(trajectoryPath)!);
            SampleImages.SaveTrajectory(trajectoryPath, trajectory, samples);
            context.Out.WriteLine($"wrote {trajectoryPath} (rows: samples; columns: t from 1 to 0, then the decoded sample)");
        }
        return ExitCodes.Success;
    }

    internal static void CheckPng(string path, string option)
    {
        if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"{option} {path}: expected a .png file name");
        if (Directory.Exists(path)) throw new UsageException($"{option} {path}: is a folder");
    }

    /// <summary>A discrete-time model samples on its own grid of T steps; any other with the run's sample steps.</summary>
    private static int DefaultSteps(RunConfig config) =>
        config.Diffusion.TimeSteps > 0 ? config.Diffusion.TimeSteps : config.SampleSteps;

    /// <summary>&lt;run&gt;/samples/… for a checkpoint in a run's checkpoints folder; next to the checkpoint otherwise.</summary>
    private static string DefaultOutput(LoadedModel loaded, SamplerKind kind, long seed)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(loaded.Path))!;
        if (Path.GetFileName(folder) == "checkpoints") folder = Path.Combine(Path.GetDirectoryName(folder)!, "samples");
        return Path.Combine(folder, $"sample-{loaded.Step:D8}-{Sampler.Name(kind)}-seed{seed}.png");
    }
}
