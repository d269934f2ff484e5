using System.CommandLine;
using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm plot RUN</c>: loss curves, the schedule, and a forward-process strip as PNG files.</summary>
public static class PlotCommand
{
    public static Command Create(CliContext context)
    {
        var run = new Argument<string>("RUN") { Description = "A run folder" };
        var output = Opt.Text("--out", "Folder for the figures (default: <run>/plots)", "DIR");
        var dataDir = Opt.Text("--data-dir", "Data cache folder (for the forward-process figure)", "DIR");
        var command = new Command("plot", "Plot loss curves, the noise schedule and the forward process of a run");
        command.Add(run);
        command.Add(output);
        command.Add(dataDir);
        CommandTree.SetHandler(command, context, parsed => PlotAction.Run(context, parsed.GetValue(run)!, parsed.GetValue(output), parsed.GetValue(dataDir)));
        return command;
    }
}
