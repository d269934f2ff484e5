using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>Conversions between uint8 TorchSharp image tensors ([C, H, W] or [N, C, H, W]) and <see cref="PngImage"/>.</summary>
public static class ImageTensors
{
    /// <summary>Checks that <paramref name="images"/> is a uint8 [N, C, H, W] batch with C = 1 or 3.</summary>
    public static void CheckBatch(Tensor images, string paramName)
    {
        ArgumentNullException.ThrowIfNull(images, paramName);
        if (images.dtype != ScalarType.Byte)
            throw new ArgumentException($"expected a uint8 tensor, got {images.dtype}", paramName);
        if (images.dim() != 4)
            throw new ArgumentException($"expected shape [N, C, H, W], got [{string.Join(", ", images.shape)}]", paramName);
        if (images.shape[1] is not (1 or 3))
            throw new ArgumentException($"expected 1 or 3 channels, got {images.shape[1]}", paramName);
        if (images.shape[0] == 0 || images.shape[2] == 0 || images.shape[3] == 0)
            throw new ArgumentException($"empty batch or image: [{string.Join(", ", images.shape)}]", paramName);
    }

    /// <summary>The tensor's bytes in its logical (row-major) order, copied to the CPU.</summary>
    public static byte[] Bytes(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.cpu().contiguous().data<byte>().ToArray();
    }

    /// <summary>A uint8 [C, H, W] tensor (C = 1 or 3) as an image.</summary>
    public static PngImage ToImage(Tensor chw)
    {
        ArgumentNullException.ThrowIfNull(chw);
        if (chw.dim() != 3) throw new ArgumentException($"expected shape [C, H, W], got [{string.Join(", ", chw.shape)}]", nameof(chw));
        using var scope = NewDisposeScope();
        var batch = chw.unsqueeze(0);
        CheckBatch(batch, nameof(chw));
        var (c, h, w) = ((int)chw.shape[0], (int)chw.shape[1], (int)chw.shape[2]);
        return new PngImage(w, h, c, PlanarToInterleaved(Bytes(chw), c, h, w));
    }

    /// <summary>An image as a uint8 [C, H, W] tensor on the CPU.</summary>
    public static Tensor ToTensor(PngImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (c, h, w) = (image.Channels, image.Height, image.Width);
        var planar = new byte[image.Pixels.Length];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                for (var k = 0; k < c; k++)
                    planar[(k * h + y) * w + x] = image.Pixels[(y * w + x) * c + k];
        return torch.tensor(planar, [c, h, w], ScalarType.Byte);
    }

    /// <summary>[C, H, W] planar bytes → [H, W, C] interleaved bytes.</summary>
    internal static byte[] PlanarToInterleaved(byte[] planar, int c, int h, int w)
    {
        var interleaved = new byte[planar.Length];
        for (var k = 0; k < c; k++)
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                    interleaved[(y * w + x) * c + k] = planar[(k * h + y) * w + x];
        return interleaved;
    }
}
