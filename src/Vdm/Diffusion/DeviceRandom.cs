using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>
/// Random draws for tensors on any device. A seeded <see cref="Generator"/> here is a CPU generator (its state goes
/// into checkpoints): with one, the numbers are drawn on the CPU and then moved, so a seed gives the same numbers on
/// every device; without one they are drawn on the device itself (docs/distributed.md, "Devices").
/// </summary>
public static class DeviceRandom
{
    /// <summary>Standard normal draws shaped <paramref name="shape"/> on <paramref name="device"/> (default: CPU).</summary>
    public static Tensor Normal(long[] shape, ScalarType dtype, Device? device, Generator? generator) =>
        generator is null ? randn(shape, dtype, device) : Moved(randn(shape, dtype, CPU, generator: generator), device);

    /// <summary>Uniform draws in [0, 1) shaped <paramref name="shape"/> on <paramref name="device"/> (default: CPU).</summary>
    public static Tensor Uniform(long[] shape, ScalarType dtype, Device? device, Generator? generator) =>
        generator is null ? rand(shape, dtype, device) : Moved(rand(shape, dtype, CPU, generator: generator), device);

    private static Tensor Moved(Tensor onCpu, Device? device)
    {
        if (device is null || device.type == TorchSharp.DeviceType.CPU) return onCpu;
        var moved = onCpu.to(device);
        onCpu.Dispose();
        return moved;
    }
}
