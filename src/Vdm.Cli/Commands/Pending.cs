using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

// Placeholders until the library pieces land on main.
public static class PlotAction
{
    public static int Run(CliContext context, string run, string? output, string? dataDir) => throw new NotSupportedException("plot is not wired yet");
}

public static class DataActions
{
    public static int List(CliContext context) => throw new NotSupportedException("data is not wired yet");

    public static int Fetch(CliContext context, string name, string? dataDir) => throw new NotSupportedException("data is not wired yet");

    public static int Info(CliContext context, string name, string? dataDir) => throw new NotSupportedException("data is not wired yet");
}
