using System.CommandLine;
using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm train</c>: train a model from a preset with overrides, or resume a run.</summary>
public static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var options = new TrainOptionSet();
        var command = new Command("train", "Train a Variational Diffusion Model (default: the mnist preset)");
        options.AddTo(command);
        var device = DeviceOption.Create();
        command.Add(device);
        CommandTree.SetHandler(command, context, parsed =>
        {
            var chosen = DeviceOption.Parse(parsed.GetValue(device));
            return TrainAction.Run(context, options.Read(parsed) with { Device = chosen });
        });
        return command;
    }
}
