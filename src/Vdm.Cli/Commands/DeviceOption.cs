using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Runtime;

namespace Vdm.Cli.Commands;

/// <summary><c>--device cpu|cuda[:i]</c> of train, sample, eval and bench; checked before any work starts.</summary>
public static class DeviceOption
{
    public static Option<string?> Create() => Opt.Text("--device", "Compute device: cpu (default) or cuda[:i] (needs a CUDA build of libtorch; see docs/distributed.md)", "cpu|cuda[:i]");

    /// <summary>Throws the one-line usage error when the device is unknown or unavailable.</summary>
    public static void Check(string? given) => DeviceChoice.Parse(given);

    /// <summary><see cref="Check"/>, then the context, so a handler reads <c>Action.Run(Checked(context, device), args)</c>.</summary>
    public static CliContext Checked(CliContext context, string? given)
    {
        Check(given);
        return context;
    }
}
