using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.Json;
using Vdm.Cli.Infrastructure;
using Vdm.Cli.Rendering;
using Vdm.Distributed;
using Vdm.Evaluation;
using Vdm.Imaging;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm merge SHARD...</c>: the shards of a <c>vdm sample</c> or <c>vdm eval</c> job into one result.</summary>
public static class MergeCommand
{
    public static Command Create(CliContext context)
    {
        var shards = new Argument<string[]>("SHARD") { Description = "Every shard file (.shard-i-of-n.json) of one sample or eval job", Arity = ArgumentArity.OneOrMore };
        var output = Opt.Text("--out", "Output PNG of merged samples (default: the name the shards were made for)", "FILE.png");
        var json = Opt.Flag("--json", "Print a merged evaluation as one JSON object");
        var command = new Command("merge", "Combine the shards of `vdm sample --shard` or `vdm eval --shard` into what one process gives");
        command.Add(shards);
        command.Add(output);
        command.Add(json);
        CommandTree.SetHandler(command, context, parsed => Run(context, parsed.GetValue(shards) ?? [], parsed.GetValue(output), parsed.GetValue(json)));
        return command;
    }

    private static int Run(CliContext context, string[] paths, string? output, bool json)
    {
        if (output is not null) SampleAction.CheckPng(output, "--out");
        var loaded = paths.Select(p => File.Exists(p) ? (p, ShardFile.Load(p)) : throw new FileNotFoundException($"{p}: no such shard file")).ToList();
        var ordered = ShardFile.CheckComplete(loaded);
        if (ordered[0].Kind == ShardFile.SamplesKind)
        {
            var madeFor = ordered[0].Job.Split("|out ", 2);
            var path = Path.GetFullPath(output ?? (madeFor.Length == 2 ? madeFor[1] : throw new UsageException("give --out FILE.png")));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            ShardSamples.Merge(ordered, path);
            context.Out.WriteLine($"merged {ordered.Count} shards ({ordered[0].Total} samples) into {path}");
            return ExitCodes.Success;
        }
        if (output is not null) throw new UsageException("--out is for merged samples; an evaluation prints its result");
        var r = ExampleBounds.Combine(ordered.Select(s => s.ToBounds()));
        if (json)
        {
            var node = new JsonObject
            {
                ["shards"] = ordered.Count,
                ["examples"] = r.Examples,
                ["timeSamples"] = r.TimeSamples,
                ["timeSteps"] = r.TimeSteps,
                ["bitsPerDim"] = r.BitsPerDim,
                ["stdErr"] = r.StdErr,
                ["recon"] = r.Recon,
                ["prior"] = r.Prior,
                ["diffusion"] = r.Diffusion,
            };
            context.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            context.Out.WriteLine($"{ordered.Count} shards, {r.Examples} examples, {r.TimeSamples} time sample{(r.TimeSamples == 1 ? "" : "s")} each");
            context.Out.WriteLine($"  recon      {Format.Bpd(r.Recon)} bits/dim");
            context.Out.WriteLine($"  prior      {Format.Bpd(r.Prior)} bits/dim");
            context.Out.WriteLine($"  diffusion  {Format.Bpd(r.Diffusion)} bits/dim");
            context.Out.WriteLine($"  total      {Format.Bpd(r.BitsPerDim)} ± {Format.Bpd(r.StdErr)} bits/dim (± one standard error over examples)");
        }
        return ExitCodes.Success;
    }
}
