using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>
/// From the model's spaces to 8-bit pixels. Data values 0..V−1 are shown on the full 0..255 range; a latent z
/// (which lives where the data sit in [−1, 1], VDM Appendix C) is first binned like the data.
/// </summary>
public static class SampleLevels
{
    /// <summary>Data values 0..<paramref name="vocab"/>−1 (any dtype) as bytes 0..255, scaled by 255/(V−1).</summary>
    public static Tensor ToBytes(Tensor levels, int vocab)
    {
        using var scope = NewDisposeScope();
        var values = levels.to(ScalarType.Float32);
        var scaled = vocab == 256 ? values : (values * (255.0 / Math.Max(1, vocab - 1))).round();
        return scaled.clamp(0, 255).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>A latent z_t binned into the data's levels, ⌊(z + 1) V / 2⌋ clamped to 0..V−1, then <see cref="ToBytes"/>.</summary>
    public static Tensor LatentToBytes(Tensor z, int vocab)
    {
        using var scope = NewDisposeScope();
        var levels = ((z.to(ScalarType.Float32) + 1) * (vocab / 2.0)).floor().clamp(0, vocab - 1);
        return ToBytes(levels, vocab).MoveToOuterDisposeScope();
    }
}
