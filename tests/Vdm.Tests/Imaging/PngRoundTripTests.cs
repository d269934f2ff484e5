using System.Buffers.Binary;
using Vdm.Imaging;
using Xunit;

namespace Vdm.Tests.Imaging;

public class PngRoundTripTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 1)]
    [InlineData(33, 17, 1)]
    [InlineData(1, 9, 3)]
    [InlineData(13, 9, 3)]
    [InlineData(31, 3, 3)]
    [InlineData(5, 4, 2)]
    [InlineData(6, 5, 4)]
    public void RandomPixels_RoundTripThroughFile(int width, int height, int channels)
    {
        using var dir = new TempFolder();
        var image = new PngImage(width, height, channels, PngBytes.RandomBytes(width * height * channels, seed: width * 100 + height));
        foreach (var filter in new[] { PngFilterStrategy.None, PngFilterStrategy.Adaptive })
        {
            var path = dir.File($"img-{filter}.png");
            PngWriter.Write(path, image, filter);
            var back = PngReader.Read(path);
            Assert.Equal((width, height, channels), (back.Width, back.Height, back.Channels));
            Assert.Equal(image.Pixels, back.Pixels);
        }
    }

    [Fact]
    public void SmoothImage_RoundTrips_AndAdaptiveFilteringUsesSeveralFilterTypes()
    {
        // A gradient with texture: Sub/Up/Average/Paeth all beat None on some rows.
        const int w = 41, h = 23;
        var pixels = new byte[w * h * 3];
        var rng = new Random(5);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var i = (y * w + x) * 3;
                pixels[i] = (byte)(x * 6);
                pixels[i + 1] = (byte)(y * 11);
                pixels[i + 2] = (byte)((x + y) * 3 + (y % 4 == 0 ? rng.Next(40) : 0));
            }
        var image = new PngImage(w, h, 3, pixels);
        var file = PngWriter.Encode(image, PngFilterStrategy.Adaptive);
        Assert.Equal(pixels, PngReader.Decode(file).Pixels);

        var raw = PngBytes.Inflate(PngBytes.Idat(file));
        var filterTypes = Enumerable.Range(0, h).Select(y => raw[y * (1 + w * 3)]).ToHashSet();
        Assert.All(filterTypes, t => Assert.InRange(t, (byte)0, (byte)4));
        Assert.True(filterTypes.Count >= 2, $"filter types used: {string.Join(",", filterTypes)}");
    }

    [Fact]
    public void LargeNoisyImage_SpansSeveralIdatChunks_AndRoundTrips()
    {
        const int w = 200, h = 150;
        var image = new PngImage(w, h, 3, PngBytes.RandomBytes(w * h * 3, seed: 11));
        var file = PngWriter.Encode(image, PngFilterStrategy.None, System.IO.Compression.CompressionLevel.Fastest);
        Assert.True(PngBytes.Chunks(file).Count(c => c.Type == "IDAT") >= 2);
        Assert.Equal(image.Pixels, PngReader.Decode(file).Pixels);
    }

    /// <summary>The reader against a PNG built here by hand, each row with a chosen filter type 0..4.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Reader_UndoesAllFiveFilterTypes_InHandBuiltFile(int channels)
    {
        const int w = 9, h = 10;
        var stride = w * channels;
        var pixels = PngBytes.RandomBytes(stride * h, seed: 3 + channels);
        var raw = new List<byte>();
        var prior = new byte[stride];
        for (var y = 0; y < h; y++)
        {
            var type = (byte)(y % 5);
            var row = pixels.AsSpan(y * stride, stride).ToArray();
            raw.Add(type);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = prior[i], c = i >= channels ? prior[i - channels] : 0;
                var predicted = type switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    _ => Paeth(a, b, c),
                };
                raw.Add((byte)(row[i] - predicted));
            }
            prior = row;
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8;
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);
        using var file = new MemoryStream();
        file.Write(PngBytes.Signature);
        WriteChunk(file, "IHDR", ihdr);
        WriteChunk(file, "tEXt", "Comment\0ignored"u8.ToArray()); // ancillary: must be skipped
        WriteChunk(file, "IDAT", PngBytes.Deflate(raw.ToArray()));
        WriteChunk(file, "IEND", []);

        var image = PngReader.Decode(file.ToArray());
        Assert.Equal(pixels, image.Pixels);
    }

    [Fact]
    public void Reader_RejectsCorruptedChunk()
    {
        var file = PngWriter.Encode(new PngImage(4, 4, 1, PngBytes.RandomBytes(16, 1)));
        file[^20] ^= 0x40; // inside the IDAT data, so its CRC no longer matches
        Assert.Throws<InvalidDataException>(() => PngReader.Decode(file));
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var buf = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buf, (uint)data.Length);
        s.Write(buf);
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(buf, PngBytes.BitwiseCrc32(typeAndData));
        s.Write(buf);
    }
}
