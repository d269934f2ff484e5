using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vdm.Imaging;

/// <summary>
/// A small PNG decoder, enough to read our own files and typical plot output: 8-bit gray, gray+alpha, RGB or
/// RGBA, non-interlaced, all five filter types. Every chunk's CRC is checked; ancillary chunks are skipped.
/// </summary>
public static class PngReader
{
    /// <summary>Reads and decodes the PNG file at <paramref name="path"/>.</summary>
    public static PngImage Read(string path) => Decode(File.ReadAllBytes(path));

    /// <summary>Decodes a whole PNG file held in memory.</summary>
    public static PngImage Decode(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8 || !file[..8].SequenceEqual(PngWriter.Signature))
            throw new InvalidDataException("not a PNG file (bad signature)");

        int width = 0, height = 0, channels = 0;
        var sawHeader = false;
        using var idat = new MemoryStream();
        var pos = 8;
        while (true)
        {
            var chunk = ReadChunk(file, ref pos);
            switch (chunk.Type)
            {
                case "IHDR":
                    (width, height, channels) = ParseHeader(chunk.Data);
                    sawHeader = true;
                    break;
                case "IDAT":
                    if (!sawHeader) throw new InvalidDataException("IDAT before IHDR");
                    idat.Write(chunk.Data);
                    break;
                case "IEND":
                    if (!sawHeader || idat.Length == 0) throw new InvalidDataException("PNG has no IHDR or no IDAT");
                    return new PngImage(width, height, channels, Unfilter(idat, width, height, channels));
                case "PLTE":
                    throw new NotSupportedException("palette PNGs are not supported");
                default:
                    // Ancillary chunks (lower-case first letter) may be ignored; unknown critical ones may not.
                    if (char.IsUpper(chunk.Type[0])) throw new NotSupportedException($"unsupported critical chunk {chunk.Type}");
                    break;
            }
        }
    }

    /// <summary>Width, height and the IHDR fields, without decoding pixels.</summary>
    public static PngHeader ReadHeader(string path)
    {
        var file = File.ReadAllBytes(path);
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(PngWriter.Signature))
            throw new InvalidDataException("not a PNG file (bad signature)");
        var pos = 8;
        var chunk = ReadChunk(file, ref pos);
        if (chunk.Type != "IHDR") throw new InvalidDataException($"first chunk is {chunk.Type}, not IHDR");
        var d = chunk.Data;
        return new PngHeader(
            (int)BinaryPrimitives.ReadUInt32BigEndian(d), (int)BinaryPrimitives.ReadUInt32BigEndian(d[4..]),
            d[8], d[9], d[10], d[11], d[12]);
    }

    private readonly ref struct Chunk(string type, ReadOnlySpan<byte> data)
    {
        public string Type { get; } = type;

        public ReadOnlySpan<byte> Data { get; } = data;
    }

    private static Chunk ReadChunk(ReadOnlySpan<byte> file, ref int pos)
    {
        if (pos + 12 > file.Length) throw new InvalidDataException("truncated PNG (chunk header)");
        var length = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
        if (length > int.MaxValue || pos + 12 + (long)length > file.Length) throw new InvalidDataException("truncated PNG (chunk data)");
        var typeAndData = file.Slice(pos + 4, 4 + (int)length);
        var stored = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + (int)length)..]);
        var type = Encoding.ASCII.GetString(typeAndData[..4]);
        if (Crc32.Compute(typeAndData) != stored) throw new InvalidDataException($"CRC mismatch in {type} chunk");
        pos += 12 + (int)length;
        return new Chunk(type, typeAndData[4..]);
    }

    private static (int Width, int Height, int Channels) ParseHeader(ReadOnlySpan<byte> d)
    {
        if (d.Length != 13) throw new InvalidDataException("IHDR must be 13 bytes");
        var width = BinaryPrimitives.ReadUInt32BigEndian(d);
        var height = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue) throw new InvalidDataException($"bad size {width}x{height}");
        if (d[8] != 8) throw new NotSupportedException($"only 8-bit samples are supported, got bit depth {d[8]}");
        var channels = d[9] switch
        {
            0 => 1,
            4 => 2,
            2 => 3,
            6 => 4,
            _ => throw new NotSupportedException($"unsupported colour type {d[9]}"),
        };
        if (d[10] != 0 || d[11] != 0) throw new InvalidDataException("unknown compression or filter method");
        if (d[12] != 0) throw new NotSupportedException("interlaced PNGs are not supported");
        return ((int)width, (int)height, channels);
    }

    private static byte[] Unfilter(MemoryStream idat, int width, int height, int channels)
    {
        var stride = checked(width * channels);
        var pixels = new byte[checked(stride * height)];
        var prior = new byte[stride];
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        Span<byte> type = stackalloc byte[1];
        for (var y = 0; y < height; y++)
        {
            var row = pixels.AsSpan(y * stride, stride);
            zlib.ReadExactly(type);
            zlib.ReadExactly(row);
            PngFilter.Undo(type[0], row, prior, channels);
            row.CopyTo(prior);
        }
        return pixels;
    }
}
