using System.Runtime.InteropServices;
using SkiaSharp;

namespace Vdm.Imaging;

/// <summary>
/// Decodes 8-bit PNG files with SkiaSharp into a <see cref="PngImage"/> of the file's own channels: grey as 1,
/// opaque colour as 3 (RGB), colour with alpha as 4 (RGBA, not premultiplied). For reading training images
/// (any size, JPEG too, cropping) see <see cref="ImageDecoder"/>.
/// </summary>
public static class PngReader
{
    public static PngImage Read(string path) => Decode(File.ReadAllBytes(path));

    /// <summary>Decodes a PNG file's bytes; a damaged or truncated file is an <see cref="InvalidDataException"/>.</summary>
    public static PngImage Decode(byte[] file)
    {
        using var codec = SKCodec.Create(new MemoryStream(file, writable: false), out var created)
            ?? throw new InvalidDataException($"not a PNG image ({created})");
        if (codec.EncodedFormat != SKEncodedImageFormat.Png) throw new InvalidDataException($"not a PNG image but {codec.EncodedFormat}");
        int width = codec.Info.Width, height = codec.Info.Height;
        int channels = codec.Info.ColorType == SKColorType.Gray8 ? 1 : codec.Info.AlphaType == SKAlphaType.Opaque ? 3 : 4;
        var info = channels == 1
            ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(width, height, SKColorType.Rgba8888, channels == 3 ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var buffer = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            if (result != SKCodecResult.Success) throw new InvalidDataException($"cannot decode the PNG data ({result})");
        }
        finally
        {
            handle.Free();
        }

        if (channels != 3) return new PngImage(width, height, channels, buffer);
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; j < buffer.Length; i += 3, j += 4)
        {
            rgb[i] = buffer[j];
            rgb[i + 1] = buffer[j + 1];
            rgb[i + 2] = buffer[j + 2];
        }
        return new PngImage(width, height, 3, rgb);
    }
}
