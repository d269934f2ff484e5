using SkiaSharp;

namespace Vdm.Imaging;

/// <summary>Why a file could not be read as an image (the message names the problem, not the file).</summary>
public sealed class ImageDecodeException(string problem) : Exception(problem);

/// <summary>
/// Decodes PNG and JPEG files with SkiaSharp into channel-first bytes [C, H, W]: grey (C = 1) as
/// L = (299 R + 587 G + 114 B) / 1000 rounded (the ITU-R 601 luma weights), RGB (C = 3) as stored, alpha dropped.
/// With a target size the image is centre-cropped to a square and resized (bilinear with mipmaps).
/// A truncated file is refused, not decoded partially.
/// </summary>
public static class ImageDecoder
{
    /// <summary>File name endings read as images.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Width, height and whether the file stores grey pixels, from its header only.</summary>
    public static (int Width, int Height, bool Grey) Probe(byte[] bytes)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes, writable: false), out var result) ?? throw new ImageDecodeException($"not a PNG or JPEG image ({Describe(result)})");
        return (codec.Info.Width, codec.Info.Height, codec.Info.ColorType == SKColorType.Gray8);
    }

    /// <summary>
    /// The image as bytes [<paramref name="channels"/>, H, W]; with <paramref name="size"/> centre-cropped and resized
    /// to size × size, else at its own size (returned as <paramref name="width"/> × <paramref name="height"/>).
    /// </summary>
    public static byte[] Decode(byte[] bytes, int channels, int? size, out int width, out int height)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        using var codec = SKCodec.Create(new MemoryStream(bytes, writable: false), out var created) ?? throw new ImageDecodeException($"not a PNG or JPEG image ({Describe(created)})");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width < 1 || info.Height < 1) throw new ImageDecodeException($"empty image ({info.Width}×{info.Height})");
        using var bitmap = new SKBitmap(info);
        var decoded = codec.GetPixels(info, bitmap.GetPixels());
        if (decoded != SKCodecResult.Success) throw new ImageDecodeException($"cannot decode the {codec.EncodedFormat} data ({Describe(decoded)})");

        using var final = size is { } s ? CropAndResize(bitmap, s) : null;
        var source = final ?? bitmap;
        width = source.Width;
        height = source.Height;
        return ToChannelsFirst(source, channels);
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated",
        SKCodecResult.ErrorInInput => "the data is corrupt",
        SKCodecResult.Unimplemented => "unsupported format",
        _ => result.ToString(),
    };

    /// <summary>The central square of <paramref name="bitmap"/>, resized to size × size.</summary>
    private static SKBitmap CropAndResize(SKBitmap bitmap, int size)
    {
        int side = Math.Min(bitmap.Width, bitmap.Height);
        var crop = SKRectI.Create((bitmap.Width - side) / 2, (bitmap.Height - side) / 2, side, side);
        var result = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var image = SKImage.FromBitmap(bitmap);
        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
        surface.Canvas.DrawImage(image, SKRect.Create(crop.Left, crop.Top, crop.Width, crop.Height), SKRect.Create(0, 0, size, size),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        surface.ReadPixels(result.Info, result.GetPixels(), result.RowBytes, 0, 0);
        return result;
    }

    private static byte[] ToChannelsFirst(SKBitmap bitmap, int channels)
    {
        int w = bitmap.Width, h = bitmap.Height, plane = w * h;
        var rgba = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        var output = new byte[channels * plane];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = y * stride + 4 * x;
                byte r = rgba[p], g = rgba[p + 1], b = rgba[p + 2];
                int i = y * w + x;
                if (channels == 1)
                {
                    output[i] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
                }
                else
                {
                    output[i] = r;
                    output[plane + i] = g;
                    output[2 * plane + i] = b;
                }
            }
        }

        return output;
    }
}
