using System.Buffers.Binary;
using Vdm.Imaging;
using Xunit;

namespace Vdm.Tests.Imaging;

public class PngFormatTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 2)]
    public void SignatureAndIhdrFields_AreRight(int channels, byte colorType)
    {
        const int w = 300, h = 7;
        var file = PngWriter.Encode(new PngImage(w, h, channels, PngBytes.RandomBytes(w * h * channels, 2)));
        Assert.Equal(PngBytes.Signature, file[..8]);

        var chunks = PngBytes.Chunks(file);
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.Empty(chunks[^1].Data);
        Assert.All(chunks.Skip(1).SkipLast(1), c => Assert.Equal("IDAT", c.Type));

        var ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal((uint)w, BinaryPrimitives.ReadUInt32BigEndian(ihdr));
        Assert.Equal((uint)h, BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal(new byte[] { 8, colorType, 0, 0, 0 }, ihdr[8..]);
    }

    [Fact]
    public void EveryChunkCrc_MatchesBitwiseCrc32()
    {
        var file = PngWriter.Encode(new PngImage(180, 180, 3, PngBytes.RandomBytes(180 * 180 * 3, 4)), PngFilterStrategy.None);
        var chunks = PngBytes.Chunks(file);
        Assert.True(chunks.Count >= 4); // IHDR, several IDAT, IEND
        Assert.All(chunks, c => Assert.Equal(PngBytes.BitwiseCrc32(c.TypeAndData), c.StoredCrc));
    }

    [Fact]
    public void Crc32_KnownValues()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the standard check value
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));      // every PNG ends with these bytes
        var random = PngBytes.RandomBytes(1000, 9);
        Assert.Equal(PngBytes.BitwiseCrc32(random), Crc32.Compute(random));
    }

    /// <summary>The IDAT payload is a well-formed zlib stream (RFC 1950) holding filter byte + raw row per row.</summary>
    [Fact]
    public void IdatPayload_IsValidZlibStream_OfFilteredRows()
    {
        const int w = 11, h = 6, c = 3;
        var pixels = PngBytes.RandomBytes(w * h * c, 8);
        var zlib = PngBytes.Idat(PngWriter.Encode(new PngImage(w, h, c, pixels), PngFilterStrategy.None));

        // Header: CM = 8 (deflate), CINFO ≤ 7, no preset dictionary, FCHECK makes CMF·256 + FLG a multiple of 31.
        Assert.Equal(8, zlib[0] & 0x0F);
        Assert.True(zlib[0] >> 4 <= 7);
        Assert.Equal(0, zlib[1] & 0x20);
        Assert.Equal(0, (zlib[0] * 256 + zlib[1]) % 31);

        var raw = PngBytes.Inflate(zlib);
        Assert.Equal(h * (1 + w * c), raw.Length);
        for (var y = 0; y < h; y++)
        {
            Assert.Equal(0, raw[y * (1 + w * c)]);
            Assert.Equal(pixels.AsSpan(y * w * c, w * c).ToArray(), raw.AsSpan(y * (1 + w * c) + 1, w * c).ToArray());
        }
        Assert.Equal(PngBytes.Adler32(raw), BinaryPrimitives.ReadUInt32BigEndian(zlib.AsSpan(zlib.Length - 4)));
    }
}
