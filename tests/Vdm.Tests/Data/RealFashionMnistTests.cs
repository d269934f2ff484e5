using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

/// <summary>Runs only when the environment names a folder holding Fashion-MNIST's four .gz files (e.g. Debian's
/// /usr/share/datasets/fashion-mnist from dataset-fashion-mnist); otherwise reported as skipped.</summary>
public sealed class RealFashionMnistFactAttribute : FactAttribute
{
    public const string Variable = "VDM_FASHION_MNIST_DIR";

    public RealFashionMnistFactAttribute()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) Skip = $"set {Variable} to a folder of Fashion-MNIST IDX .gz files (e.g. /usr/share/datasets/fashion-mnist) to run";
        else if (!Directory.Exists(path)) Skip = $"{Variable}={path}: no such folder";
    }
}

[Trait("Category", "RealData")]
public class RealFashionMnistTests
{
    [RealFashionMnistFact]
    public void LoadsFromTheSystemLocationAndMatchesTheRecordedContentChecksums()
    {
        var folder = Environment.GetEnvironmentVariable(RealFashionMnistFactAttribute.Variable)!;
        using var temp = new TempFolder();
        var options = new DataOptions { DataDir = temp.Path, SystemLocations = [folder], AllowDownload = false, AllowNpm = false };

        using var train = DatasetResolver.Load("fashion-mnist", "train", options);
        using var test = DatasetResolver.Load("fashion-mnist", "test", options);

        Assert.Equal(new long[] { 60_000, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(10_000, test.Count);
        // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
        Assert.All(train.LabelHistogram()!, n => Assert.Equal(6_000, n));
        Assert.All(test.LabelHistogram()!, n => Assert.Equal(1_000, n));
        foreach (var (name, sha) in DatasetCatalog.FashionMnist.RawSha256)
            Assert.Equal(sha, Checksums.RawSha256File(Path.Combine(folder, name + ".gz")));
        Assert.Empty(temp.AllFiles());
    }
}
