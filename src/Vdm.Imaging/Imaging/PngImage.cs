namespace Vdm.Imaging;

/// <summary>
/// An 8-bit image in memory: <see cref="Pixels"/> holds rows top to bottom, each row left to right, each pixel's
/// channels interleaved (gray; RGB; RGBA), i.e. [Height, Width, Channels] row-major — PNG's own order.
/// </summary>
public sealed class PngImage
{
    public PngImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        if (channels is not (1 or 3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be 1 (gray), 3 (RGB) or 4 (RGBA), got {channels}");
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)width * height * channels != pixels.LongLength)
            throw new ArgumentException($"expected {(long)width * height * channels} bytes for {width}x{height}x{channels}, got {pixels.LongLength}", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>A new image of one uniform value in every channel.</summary>
    public static PngImage Filled(int width, int height, int channels, byte value)
    {
        var pixels = new byte[checked(width * height * channels)];
        Array.Fill(pixels, value);
        return new PngImage(width, height, channels, pixels);
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    /// <summary>[Height, Width, Channels] row-major bytes; shared, not copied.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row.</summary>
    public int Stride => Width * Channels;

    /// <summary>Value of channel <paramref name="channel"/> at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public byte this[int x, int y, int channel = 0] => Pixels[(y * Width + x) * Channels + channel];
}
