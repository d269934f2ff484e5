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
    [InlineData(6, 5, 4)]
    [InlineData(200, 150, 3)]
    public void RandomPixels_RoundTripThroughFile(int width, int height, int channels)
    {
        using var dir = new TempFolder();
        var image = new PngImage(width, height, channels, PngBytes.RandomBytes(width * height * channels, seed: width * 100 + height));
        var path = dir.File("img.png");
        PngWriter.Write(path, image);
        var back = PngReader.Read(path);
        Assert.Equal((width, height, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(image.Pixels, back.Pixels);
    }

    /// <summary>Grey stays a grey PNG (colour type 0) and RGB an RGB one (type 2), 8 bits deep: files a third and three
    /// quarters the size of RGBA, readable by any viewer; the chunks carry valid CRCs (checked bit by bit here).</summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 2)]
    [InlineData(4, 6)]
    public void TheFileStoresTheImagesOwnChannels(int channels, int pngColourType)
    {
        var file = PngWriter.Encode(new PngImage(9, 4, channels, PngBytes.RandomBytes(9 * 4 * channels, 7)));
        Assert.Equal(PngBytes.Signature, file[..8]);
        var chunks = PngBytes.Chunks(file);
        var ihdr = chunks[0];
        Assert.Equal("IHDR", ihdr.Type);
        Assert.Equal((9u, 4u), (BinaryPrimitives.ReadUInt32BigEndian(ihdr.Data), BinaryPrimitives.ReadUInt32BigEndian(ihdr.Data.AsSpan(4))));
        Assert.Equal((byte)8, ihdr.Data[8]);
        Assert.Equal((byte)pngColourType, ihdr.Data[9]);
        Assert.All(chunks, c => Assert.Equal(PngBytes.BitwiseCrc32(c.TypeAndData), c.StoredCrc));
        Assert.Equal("IEND", chunks[^1].Type);
    }

    /// <summary>The same pixels give the same bytes: merged shards are compared with one process's grid byte for byte.</summary>
    [Fact]
    public void EncodingIsDeterministic()
    {
        var image = new PngImage(40, 30, 3, PngBytes.RandomBytes(40 * 30 * 3, 9));
        Assert.Equal(PngWriter.Encode(image), PngWriter.Encode(new PngImage(40, 30, 3, (byte[])image.Pixels.Clone())));
    }

    [Fact]
    public void TwoChannelImagesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PngImage(2, 2, 2, new byte[8]));
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
