using System.Buffers.Binary;
using System.IO.Compression;

namespace Vdm.Imaging;

/// <summary>
/// A small PNG encoder: 8-bit gray, gray+alpha, RGB or RGBA, non-interlaced, one zlib stream
/// (<see cref="ZLibStream"/>) split over IDAT chunks. Chunks: IHDR, IDAT…, IEND.
/// </summary>
public static class PngWriter
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Largest IDAT payload written in one chunk; readers must concatenate them.</summary>
    public const int MaxIdatLength = 1 << 16;

    /// <summary>Encodes <paramref name="image"/> and replaces <paramref name="path"/> atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, PngImage image, PngFilterStrategy filter = PngFilterStrategy.Adaptive,
        CompressionLevel level = CompressionLevel.Optimal)
    {
        var bytes = Encode(image, filter, level); // encode first: a failure here never touches the file system
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>The PNG file for <paramref name="image"/> as bytes.</summary>
    public static byte[] Encode(PngImage image, PngFilterStrategy filter = PngFilterStrategy.Adaptive,
        CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[0..], (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)image.Height);
        ihdr[8] = 8;                              // bit depth
        ihdr[9] = ColorType(image.Channels);
        ihdr[10] = 0;                             // compression: deflate
        ihdr[11] = 0;                             // filter method: adaptive, five types
        ihdr[12] = 0;                             // no interlace
        WriteChunk(output, "IHDR", ihdr);

        var compressed = Compress(image, filter, level);
        for (var offset = 0; offset < compressed.Length || offset == 0; offset += MaxIdatLength)
            WriteChunk(output, "IDAT", compressed.AsSpan(offset, Math.Min(MaxIdatLength, compressed.Length - offset)));

        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>PNG colour type for a channel count: 0 gray, 4 gray+alpha, 2 RGB, 6 RGBA.</summary>
    internal static byte ColorType(int channels) => channels switch
    {
        1 => 0,
        2 => 4,
        3 => 2,
        4 => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(channels), $"unsupported channel count {channels}"),
    };

    /// <summary>The zlib stream of filtered scanlines (filter byte + row, top to bottom).</summary>
    private static byte[] Compress(PngImage image, PngFilterStrategy filter, CompressionLevel level)
    {
        var stride = image.Stride;
        var bpp = image.Channels; // bytes per complete pixel at 8 bits per sample
        var prior = new byte[stride]; // the row "above" the first row is all zeros
        var line = new byte[1 + stride];
        var scratch = new byte[stride];
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, level, leaveOpen: true))
        {
            for (var y = 0; y < image.Height; y++)
            {
                var row = image.Pixels.AsSpan(y * stride, stride);
                if (filter == PngFilterStrategy.None)
                {
                    line[0] = PngFilter.None;
                    row.CopyTo(line.AsSpan(1));
                }
                else
                {
                    line[0] = PngFilter.ApplyBest(row, prior, bpp, line.AsSpan(1), scratch);
                }
                zlib.Write(line);
                row.CopyTo(prior);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>length (big-endian), type, data, CRC-32 of type + data.</summary>
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        for (var i = 0; i < 4; i++) header[4 + i] = (byte)type[i];
        output.Write(header);
        output.Write(data);
        var crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, header[4..]), data));
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }
}
