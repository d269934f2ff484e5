using Vdm.Data;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsImagesAndLabels(bool gzip)
    {
        using var temp = new TempFolder();
        // The gz variant keeps the plain name: gzip must be recognised by its magic bytes, not by ".gz".
        var imagesPath = temp.File("train-images-idx3-ubyte");
        var labelsPath = temp.File("train-labels-idx1-ubyte");
        var images = Synthetic.IdxImages(5, 4, 3);
        var labels = Synthetic.IdxLabels(3, 1, 4, 1, 5);
        File.WriteAllBytes(imagesPath, gzip ? Synthetic.Gzip(images) : images);
        File.WriteAllBytes(labelsPath, gzip ? Synthetic.Gzip(labels) : labels);

        using var dataset = IdxReader.LoadDataset(imagesPath, labelsPath, "synthetic", "train", new IdxOptions { NumClasses = 10 });

        Assert.Equal(new long[] { 5, 1, 4, 3 }, dataset.Images.shape);
        Assert.Equal(ScalarType.Byte, dataset.Images.dtype);
        Assert.Equal(ScalarType.Int64, dataset.Labels!.dtype);
        Assert.Equal(new long[] { 3, 1, 4, 1, 5 }, dataset.Labels.data<long>().ToArray());
        for (var i = 0; i < 5; i++)
            for (var r = 0; r < 4; r++)
                for (var c = 0; c < 3; c++)
                    Assert.Equal(Synthetic.Pixel(i, r, c), dataset.Images[i, 0, r, c].item<byte>());
        Assert.Equal(10, dataset.NumClasses);
        Assert.Equal(256, dataset.Vocab);
        Assert.Equal("train", dataset.Split);
        Assert.Contains(imagesPath, dataset.Source);
    }

    [Fact]
    public void InfersClassCountWhenNotGiven()
    {
        var images = new NamedContent("i", Synthetic.IdxImages(3, 2, 2));
        var labels = new NamedContent("l", Synthetic.IdxLabels(0, 6, 2));
        using var dataset = IdxReader.LoadDataset(images, labels, "x", "test", "memory");
        Assert.Equal(7, dataset.NumClasses);
    }

    [Fact]
    public void TransposesEmnistImages()
    {
        // Stored as 2 images of 3 rows × 5 columns; transposed they are 5 × 3 with (r, c) taken from stored (c, r).
        var content = new NamedContent("emnist-test-images", Synthetic.IdxImages(2, 3, 5));
        using var plain = IdxReader.ReadImages(content);
        using var transposed = IdxReader.ReadImages(content, transpose: true);
        Assert.Equal(new long[] { 2, 1, 3, 5 }, plain.shape);
        Assert.Equal(new long[] { 2, 1, 5, 3 }, transposed.shape);
        for (var i = 0; i < 2; i++)
            for (var r = 0; r < 5; r++)
                for (var c = 0; c < 3; c++)
                    Assert.Equal(Synthetic.Pixel(i, c, r), transposed[i, 0, r, c].item<byte>());
        Assert.True(transposed.is_contiguous());
    }

    [Fact]
    public void AppliesLabelOffsetAndChecksRange()
    {
        var images = new NamedContent("letters-images", Synthetic.IdxImages(3, 2, 2));
        using var shifted = IdxReader.LoadDataset(images, new NamedContent("letters-labels", Synthetic.IdxLabels(1, 26, 13)), "l", "train", "m",
            new IdxOptions { LabelOffset = 1, NumClasses = 26 });
        Assert.Equal(new long[] { 0, 25, 12 }, shifted.Labels!.data<long>().ToArray());

        var e = Assert.Throws<DataFormatException>(() =>
            IdxReader.LoadDataset(images, new NamedContent("letters-labels", Synthetic.IdxLabels(1, 27, 3)), "l", "train", "m",
                new IdxOptions { LabelOffset = 1, NumClasses = 26 }));
        Assert.Contains("letters-labels", e.Message);
        Assert.Contains("27", e.Message);
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        var bytes = Synthetic.IdxImages(2, 2, 2);
        bytes[2] = 0x0D; // float data type instead of unsigned byte
        var e = AssertFormatError("bad-images-idx3-ubyte", () => IdxReader.ReadImages(new NamedContent("bad-images-idx3-ubyte", bytes)));
        Assert.Contains("magic", e.Message);
        Assert.Contains("0x00000D03", e.Message);
    }

    [Fact]
    public void WrongRankIsRejected()
    {
        // A label file (rank 1) offered as images (rank 3), and the other way round.
        var e = AssertFormatError("labels-as-images", () => IdxReader.ReadImages(new NamedContent("labels-as-images", Synthetic.IdxLabels(1, 2))));
        Assert.Contains("rank", e.Message);
        AssertFormatError("images-as-labels", () => IdxReader.ReadLabels(new NamedContent("images-as-labels", Synthetic.IdxImages(1, 2, 2))));
    }

    [Fact]
    public void TruncatedFileIsRejectedWithSizes()
    {
        var bytes = Synthetic.IdxImages(3, 4, 4);
        var e = AssertFormatError("train-images-idx3-ubyte.gz",
            () => IdxReader.ReadImages(new NamedContent("train-images-idx3-ubyte.gz", Synthetic.Gzip(bytes[..40]))));
        Assert.Equal("train-images-idx3-ubyte.gz: truncated: expected 64 bytes, found 40", e.Message);

        AssertFormatError("short", () => IdxReader.ReadLabels(new NamedContent("short", [0, 0, 8])));
        AssertFormatError("short-header", () => IdxReader.ReadImages(new NamedContent("short-header", Synthetic.IdxImages(1, 1, 1)[..10])));
    }

    [Fact]
    public void ExtraBytesAreRejected()
    {
        var bytes = Synthetic.IdxLabels(1, 2, 3).Concat(new byte[] { 9 }).ToArray();
        var e = AssertFormatError("labels-extra", () => IdxReader.ReadLabels(new NamedContent("labels-extra", bytes)));
        Assert.Contains("extra data: expected 11 bytes, found 12", e.Message);
    }

    [Fact]
    public void CorruptGzipIsRejected()
    {
        var gz = Synthetic.Gzip(Synthetic.IdxImages(4, 8, 8));
        for (var i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5A;
        AssertFormatError("corrupt.gz", () => IdxReader.ReadImages(new NamedContent("corrupt.gz", gz)));
    }

    [Fact]
    public void CountMismatchBetweenImagesAndLabelsIsRejected()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("t10k-images-idx3-ubyte"), Synthetic.IdxImages(4, 2, 2));
        File.WriteAllBytes(temp.File("t10k-labels-idx1-ubyte"), Synthetic.IdxLabels(1, 2, 3));
        var e = AssertFormatError("t10k-labels-idx1-ubyte",
            () => IdxReader.LoadDataset(temp.File("t10k-images-idx3-ubyte"), temp.File("t10k-labels-idx1-ubyte"), "x", "test"));
        Assert.Contains("3 labels", e.Message);
        Assert.Contains("4 images", e.Message);
    }

    private static DataFormatException AssertFormatError(string fileName, Func<object> read)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.StartsWith(fileName + ":", e.Message);
        Assert.Equal(fileName, e.FileName);
        return e;
    }
}
