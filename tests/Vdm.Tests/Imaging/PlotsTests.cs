using Vdm.Imaging;
using Xunit;

namespace Vdm.Tests.Imaging;

public class PlotsTests
{
    private static readonly PlotOptions Small = new() { Width = 320, Height = 200 };

    /// <summary>The file is a PNG of the requested size whose pixels are not all the same.</summary>
    private static void AssertPlotPng(string path, int width, int height)
    {
        var image = PngReader.Read(path);
        Assert.Equal((width, height), (image.Width, image.Height));
        var distinct = Enumerable.Range(0, image.Width * image.Height)
            .Select(p => Convert.ToHexString(image.Pixels, p * image.Channels, image.Channels))
            .Distinct()
            .Count();
        Assert.True(distinct > 10, $"only {distinct} distinct colours");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".*.tmp"));
    }

    private static List<LossRecord> Records()
    {
        var records = new List<LossRecord>();
        for (var step = 0; step <= 400; step += 10)
        {
            var values = new Dictionary<string, double>
            {
                ["bpd"] = 1.5 + 8 * Math.Exp(-step / 80.0),
                ["recon"] = 0.01 + 0.1 * Math.Exp(-step / 50.0),
                ["prior"] = 1e-4,
                ["diffusion"] = 1.4 + 7 * Math.Exp(-step / 80.0),
            };
            if (step % 100 == 0) values["test bpd"] = 1.7 + 8 * Math.Exp(-step / 80.0);
            records.Add(new LossRecord(step, values));
        }
        records.Add(new LossRecord(410, new Dictionary<string, double> { ["bpd"] = double.NaN })); // skipped
        return records;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossCurves_WritePngOfRequestedSize(bool logY)
    {
        using var dir = new TempFolder();
        var path = dir.File("loss.png");
        Plots.LossCurves(path, Records(), Small with { LogY = logY });
        AssertPlotPng(path, 320, 200);
    }

    [Fact]
    public void Schedule_Integrand_Scatter_WritePngsOfRequestedSize()
    {
        using var dir = new TempFolder();
        var t = Enumerable.Range(0, 101).Select(i => i / 100.0).ToArray();
        var gamma = t.Select(x => -13.3 + 18.3 * x).ToArray();
        Plots.Schedule(dir.File("schedule.png"), t, gamma, Small);
        AssertPlotPng(dir.File("schedule.png"), 320, 200);

        var integrand = t.Select(x => 0.5 * 18.3 * Math.Exp(-8 * (x - 0.4) * (x - 0.4))).ToArray();
        Plots.DiffusionIntegrand(dir.File("integrand.png"), t, integrand, new PlotOptions { Width = 300, Height = 240, LogY = true });
        AssertPlotPng(dir.File("integrand.png"), 300, 240);

        var rng = new Random(1);
        var angle = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() * 4 * Math.PI).ToArray();
        Plots.Scatter(dir.File("points.png"), angle.Select(a => a * Math.Cos(a)).ToArray(), angle.Select(a => a * Math.Sin(a)).ToArray(), Small);
        AssertPlotPng(dir.File("points.png"), 320, 200);
    }

    [Fact]
    public void MismatchedArrays_Throw_AndLeaveExistingFileUnchanged()
    {
        using var dir = new TempFolder();
        var path = dir.File("schedule.png");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<ArgumentException>(() => Plots.Schedule(path, [0, 0.5, 1], [1, 2], Small));
        Assert.Throws<ArgumentOutOfRangeException>(() => Plots.Scatter(path, [0], [0], new PlotOptions { Width = 0 }));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
