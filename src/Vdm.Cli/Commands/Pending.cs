using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

// Placeholders until the library pieces land on main.
public static class PlotAction
{
    public static int Run(CliContext context, string run, string? output, string? dataDir) => throw new NotSupportedException("plot is not wired yet");
}
