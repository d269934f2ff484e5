using System.Globalization;
using static TorchSharp.torch;

namespace Vdm.Runtime;

/// <summary>
/// The compute device asked for with <c>--device cpu|cuda[:i]</c>. This project ships libtorch's CPU runtime
/// (the TorchSharp-cpu package, Directory.Packages.props), so there only the CPU is available; a build with a CUDA
/// runtime and a GPU gets <c>cuda:i</c>. CUDA is untested in CI (docs/distributed.md, "Devices").
/// </summary>
public static class DeviceChoice
{
    public static Device Parse(string? text)
    {
        var word = (text ?? "cpu").Trim().ToLowerInvariant();
        if (word == "cpu") return CPU;
        if (word != "cuda" && !word.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"--device {text}: expected cpu, cuda or cuda:N");
        int index = 0;
        if (word.Length > 4 && !int.TryParse(word[5..], NumberStyles.None, CultureInfo.InvariantCulture, out index))
            throw new ArgumentException($"--device {text}: expected cpu, cuda or cuda:N with N a GPU number");
        if (!cuda.is_available())
            throw new ArgumentException(
                $"--device {text}: this vdm runs libtorch's CPU runtime (package TorchSharp-cpu), which has no CUDA; for a GPU build vdm from source " +
                "with TorchSharp-cuda-linux (or TorchSharp-cuda-windows) in place of TorchSharp-cpu in Directory.Packages.props and src/Vdm/Vdm.csproj, on a machine with an NVIDIA driver");
        if (index >= cuda.device_count())
            throw new ArgumentException($"--device {text}: there are {cuda.device_count()} CUDA devices (0..{cuda.device_count() - 1})");
        return new Device(TorchSharp.DeviceType.CUDA, index);
    }
}
