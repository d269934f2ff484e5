using System.Runtime.InteropServices;
using SkiaSharp;
using Vdm.Persistence;

namespace Vdm.Imaging;

/// <summary>
/// Encodes <see cref="PngImage"/>s as 8-bit PNG with SkiaSharp's encoder (libpng inside Skia): grey images as
/// grey PNG, RGB as RGB, RGBA as RGBA. Encoding is deterministic, so the same pixels give the same bytes (the
/// sharded-sampling merge relies on it: docs/distributed.md).
/// </summary>
public static class PngWriter
{
    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, PngImage image)
    {
        var bytes = Encode(image);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The PNG file's bytes.</summary>
    public static byte[] Encode(PngImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (info, pixels) = image.Channels switch
        {
            1 => (new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque), image.Pixels),
            3 => (new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque), WithOpaqueAlpha(image.Pixels)),
            4 => (new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), image.Pixels),
            _ => throw new ArgumentException($"PNG output needs 1 (grey), 3 (RGB) or 4 (RGBA) channels, got {image.Channels}", nameof(image)),
        };
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}×{image.Height}×{image.Channels} PNG");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    private static byte[] WithOpaqueAlpha(byte[] rgb)
    {
        var rgba = new byte[rgb.Length / 3 * 4];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgba[j] = rgb[i];
            rgba[j + 1] = rgb[i + 1];
            rgba[j + 2] = rgb[i + 2];
            rgba[j + 3] = 255;
        }
        return rgba;
    }
}
