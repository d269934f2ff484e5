using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Interop;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm export RUN</c> and <c>vdm import FILE</c>: a model's weights in safetensors or PyTorch files, and back
/// into a run folder (the naming and formats are <see cref="ModelWeights"/>'s).</summary>
public static class WeightsCommands
{
    private static readonly IReadOnlyDictionary<string, WeightsFormat> FormatWords = new Dictionary<string, WeightsFormat>
    {
        ["safetensors"] = WeightsFormat.Safetensors,
        ["pytorch"] = WeightsFormat.PyTorch,
    };

    public static Command Export(CliContext context)
    {
        var source = new Argument<string>("RUN|CHECKPOINT") { Description = "A run folder (its newest checkpoint) or a checkpoint file" };
        var format = Opt.Choice("--format", "safetensors (default) or pytorch (a torch.save state dict, .pth)", FormatWords);
        var online = Opt.Flag("--online", "Export the online weights instead of the EMA");
        var output = Opt.Text("--out", "Weights file (default: <run>/export/model.safetensors or .pth); the JSON with the config and naming goes next to it", "FILE");
        var command = new Command("export", "Write a model's weights as safetensors or PyTorch state dict, with PyTorch-style names and a JSON of its config");
        command.Add(source);
        foreach (var option in new Option[] { format, online, output }) command.Add(option);
        CommandTree.SetHandler(command, context, parsed =>
        {
            var run = parsed.GetValue(source)!;
            var kind = parsed.GetValue(format) ?? WeightsFormat.Safetensors;
            var extension = ModelWeights.Extension(kind);
            var target = parsed.GetValue(output);
            if (target is not null && !string.Equals(Path.GetExtension(target), extension, StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--out {target}: a {FormatName(kind)} file should end in {extension}");
            if (target is not null && Directory.Exists(target)) throw new UsageException($"--out {target}: is a folder");
            target ??= Directory.Exists(run) ? Path.Combine(run, "export", "model" + extension) : Path.ChangeExtension(run, extension);
            var result = ModelWeights.Export(run, target, kind, parsed.GetValue(online));
            context.Out.WriteLine($"wrote {result.WeightsPath} ({result.Tensors} tensors, {result.Weights} weights, step {result.Step}) and {result.JsonPath}");
            context.Out.WriteLine($"check (docs/pytorch.md): sum of eps_hat at t = {ModelWeights.CheckTime} = {result.CheckSum:R}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Import(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A .safetensors or .pth state dict with PyTorch-style names (as vdm export writes)" };
        var config = Opt.Text("--config", "The export's JSON (or a run's config.json) describing the model", "config.json");
        var run = Opt.Text("--run", "The run folder to create (must be new or empty)", "DIR");
        var command = new Command("import", "Make a run folder that sample and eval accept from a weights file and its config");
        command.Add(file);
        command.Add(config);
        command.Add(run);
        CommandTree.SetHandler(command, context, parsed =>
        {
            var weights = parsed.GetValue(file)!;
            var configPath = parsed.GetValue(config) ?? throw new UsageException("--config FILE is required (the JSON vdm export writes next to the weights)");
            var runDir = parsed.GetValue(run) ?? throw new UsageException("--run DIR is required");
            var root = ModelWeights.Import(weights, configPath, runDir);
            context.Out.WriteLine($"imported {weights} into {root}: try vdm sample {root}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string FormatName(WeightsFormat format) => format == WeightsFormat.Safetensors ? "safetensors" : "PyTorch";
}
