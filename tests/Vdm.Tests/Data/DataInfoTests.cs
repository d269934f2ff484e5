using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

public class DataInfoTests
{
    [Fact]
    public void ReportsWhatIsFoundLocallyWithChecksums()
    {
        using var temp = new TempFolder();
        Synthetic.MnistPair(temp.File("cache", "mnist"), "train", 3);
        var options = new DataOptions { DataDir = temp.File("cache"), SystemLocations = [] };

        var info = DataInfo.Inspect("mnist", options, load: true);

        var train = info.Splits.Single(s => s.Split == "train");
        Assert.Equal("cache", train.FoundIn);
        Assert.Equal(3, train.ActualCount);
        Assert.Equal(60_000, train.ExpectedCount);
        var test = info.Splits.Single(s => s.Split == "test");
        Assert.Null(test.FoundIn);
        Assert.Contains("t10k-images-idx3-ubyte", test.Problem);

        var images = info.LocalFiles.Single(f => f.Path.EndsWith("train-images-idx3-ubyte.gz", StringComparison.Ordinal));
        Assert.Equal(Checksums.Sha256File(images.Path), images.ActualSha256);
        Assert.False(images.Matches); // synthetic data cannot match MNIST's published checksum

        var text = string.Join("\n", info.ToLines());
        Assert.Contains("mnist", text);
        Assert.Contains("DIFFERS", text);
        Assert.Contains("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", text);
        Assert.Contains("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", text);
        Assert.DoesNotContain(temp.AllFiles(), f => !f.StartsWith("cache", StringComparison.Ordinal));
    }

    [Fact]
    public void ToyDataIsDescribedAsGenerated()
    {
        var info = DataInfo.Inspect("moons", new DataOptions { ToyTrainCount = 50 });
        Assert.All(info.Splits, s => Assert.Equal("generated", s.FoundIn));
        Assert.Equal(50, info.Splits[0].ExpectedCount);
    }
}
