using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Base-2 Fourier features of the input (VDM, Appendix C): for every exponent n in [MinExponent, MaxExponent] and
/// every channel c, sin(2^n·2π·z_c) and cos(2^n·2π·z_c). They expose the fine, low-order bits of z that decide the
/// likelihood of discrete data. Works on images [B, C, H, W] and vectors [B, D]; the output has the same rank with
/// 2·K·C channels (K exponents), laid out as [sin for (c, n) in c-major order, then cos in the same order].
/// </summary>
public sealed class FourierFeatures : nn.Module<Tensor, Tensor>
{
    public FourierFeatures(int minExponent = 6, int maxExponent = 7) : base(nameof(FourierFeatures))
    {
        if (maxExponent < minExponent)
            throw new ArgumentException($"max exponent ({maxExponent}) must be at least the min exponent ({minExponent})");
        MinExponent = minExponent;
        MaxExponent = maxExponent;
    }

    public int MinExponent { get; }

    public int MaxExponent { get; }

    /// <summary>Number of exponents K.</summary>
    public int Count => MaxExponent - MinExponent + 1;

    /// <summary>Channels added for an input of <paramref name="channels"/> channels: 2·K·C.</summary>
    public long ExtraChannels(long channels) => 2L * Count * channels;

    /// <param name="z">[B, C, ...] with channels on dim 1.</param>
    /// <returns>[B, 2·K·C, ...].</returns>
    public override Tensor forward(Tensor z)
    {
        if (z.dim() < 2) throw new ArgumentException($"expected [B, C, ...], got rank {z.dim()}");
        using var scope = NewDisposeScope();
        var angular = new double[Count];
        for (var i = 0; i < Count; i++) angular[i] = Math.Pow(2.0, MinExponent + i) * 2.0 * Math.PI;

        // frequencies shaped [1, 1, K, 1, ...] so that z.unsqueeze(2) [B, C, 1, ...] broadcasts to [B, C, K, ...].
        var freqShape = new long[z.dim() + 1];
        Array.Fill(freqShape, 1L);
        freqShape[2] = Count;
        var freqs = tensor(angular, z.dtype, z.device).reshape(freqShape);
        var h = z.unsqueeze(2) * freqs;

        var shape = (long[])z.shape.Clone();
        shape[1] *= Count;
        h = h.reshape(shape);
        return cat([h.sin(), h.cos()], 1).MoveToOuterDisposeScope();
    }
}
