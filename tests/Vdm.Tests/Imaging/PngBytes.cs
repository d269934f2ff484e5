using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Imaging;

/// <summary>Test-side PNG helpers written independently of Vdm.Imaging: chunk parsing, bitwise CRC-32, Adler-32.</summary>
internal static class PngBytes
{
    public static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public sealed record Chunk(string Type, byte[] Data, uint StoredCrc, byte[] TypeAndData);

    public static List<Chunk> Chunks(byte[] file)
    {
        Assert.Equal(Signature, file[..8]);
        var chunks = new List<Chunk>();
        var pos = 8;
        while (pos < file.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            var typeAndData = file.AsSpan(pos + 4, 4 + length).ToArray();
            var crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos + 8 + length));
            chunks.Add(new Chunk(Encoding.ASCII.GetString(typeAndData, 0, 4), typeAndData[4..], crc, typeAndData));
            pos += 12 + length;
        }
        Assert.Equal(file.Length, pos);
        return chunks;
    }

    /// <summary>CRC-32 bit by bit, no table (PNG spec, annex D, reflected polynomial 0xEDB88320).</summary>
    public static uint BitwiseCrc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return ~crc;
    }

    /// <summary>Adler-32 (RFC 1950), the checksum at the end of a zlib stream.</summary>
    public static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var d in data)
        {
            a = (a + d) % 65521;
            b = (b + a) % 65521;
        }
        return (b << 16) | a;
    }

    /// <summary>Concatenated IDAT payloads.</summary>
    public static byte[] Idat(byte[] file) => Chunks(file).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();

    public static byte[] Inflate(byte[] zlib)
    {
        using var input = new MemoryStream(zlib);
        using var z = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        z.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] Deflate(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(raw);
        return output.ToArray();
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
