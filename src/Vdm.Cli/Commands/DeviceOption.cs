using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Runtime;
using static TorchSharp.torch;

namespace Vdm.Cli.Commands;

/// <summary><c>--device cpu|cuda[:i]</c> of train, sample, eval and bench; checked before any work starts.</summary>
public static class DeviceOption
{
    public static Option<string?> Create() => Opt.Text("--device", "Compute device: cpu (default) or cuda[:i] (needs a CUDA build of libtorch; see docs/distributed.md)", "cpu|cuda[:i]");

    /// <summary>The device asked for; throws the one-line usage error when it is unknown or unavailable.</summary>
    public static Device Parse(string? given) => DeviceChoice.Parse(given);
}
