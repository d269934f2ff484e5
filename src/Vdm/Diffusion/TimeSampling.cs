using static TorchSharp.torch;

namespace Vdm.Diffusion;

public static class TimeSampling
{
    /// <summary>u_i = (u_0 + i/B) mod 1 with one u_0 ~ U(0, 1): a low-discrepancy sample of B times (VDM Appendix I.1).</summary>
    public static Tensor Antithetic(long batch, Generator? generator = null, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var u0 = DeviceRandom.Uniform([1], dtype, device, generator);
        return ((u0 + arange(batch, dtype, device) / batch) % 1.0).MoveToOuterDisposeScope();
    }

    /// <summary>u_i ~ U(0, 1), independently.</summary>
    public static Tensor Uniform(long batch, Generator? generator = null, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        DeviceRandom.Uniform([batch], dtype, device, generator);

    /// <summary>Discrete time on the grid {1/T, …, 1}: t = (⌊u T⌋ + 1)/T, and the step before it, s = t − 1/T.</summary>
    public static (Tensor T, Tensor S) Discretise(Tensor u, int steps)
    {
        using var scope = NewDisposeScope();
        var index = (u * steps).floor().clamp(0, steps - 1) + 1;
        var t = index / steps;
        var s = (index - 1) / steps;
        return (t.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }
}
