using System.Text.Json.Nodes;
using Vdm.Imaging;
using Vdm.Tests.Data;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>A user's folder of PNGs through the CLI: train, one PNG per sample, evaluate; a changed folder refused on
/// resume; a bad image stops training before anything is written, or is skipped and counted.</summary>
public class ImageFolderCliTests
{
    [Fact]
    public async Task A_folder_of_pngs_trains_samples_per_image_and_evaluates()
    {
        using var temp = new CliTemp();
        var data = ImageFolderReaderTests.ClassFolder(temp.Sub("pets"));
        var run = temp.Sub("run");
        var cache = temp.Sub("cache");

        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2", "--batch-size", "4",
            "--image-size", "8", "--data-dir", cache, "--class-conditional");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Contains("9 train / 1 test", train.Out);
        var images = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!["images"]!;
        Assert.Equal(8, (int)images["imageSize"]!);
        Assert.Equal(1, (int)images["channels"]!);
        Assert.Equal(64, ((string)images["listingSha256"]!).Length);

        var each = temp.Sub("each");
        var sample = await CliHarness.Run("sample", run, "--count", "3", "--sampler", "ddim", "--steps", "2", "--out-dir", each);
        Assert.True(sample.ExitCode == 0, sample.Err + sample.Out);
        Assert.Equal(["sample-000000.png", "sample-000001.png", "sample-000002.png"], Directory.GetFiles(each).Select(f => Path.GetFileName(f)!).Order().ToArray());
        var png = PngReader.Read(Path.Combine(each, "sample-000002.png"));
        Assert.Equal((8, 8, 1), (png.Width, png.Height, png.Channels));
        Assert.DoesNotContain("wrote " + run, sample.Out); // --out-dir alone: no grid

        var eval = await CliHarness.Run("eval", run, "--examples", "1", "--data-dir", cache, "--json");
        Assert.True(eval.ExitCode == 0, eval.Err + eval.Out);
        Assert.True(double.IsFinite((double)JsonNode.Parse(eval.Out)!["bitsPerDim"]!));

        var plot = await CliHarness.Run("plot", run, "--out", temp.Sub("plots"), "--data-dir", cache);
        Assert.True(plot.ExitCode == 0, plot.Err + plot.Out);
        var info = await CliHarness.Run("data", "info", data, "--data-dir", cache);
        Assert.True(info.ExitCode == 0, info.Err + info.Out);
        Assert.Contains("train: 9 examples", info.Out);
    }

    [Fact]
    public async Task Resume_refuses_a_changed_folder_naming_it()
    {
        using var temp = new CliTemp();
        var data = ImageFolderReaderTests.ClassFolder(temp.Sub("pets"));
        var run = temp.Sub("run");
        var cache = temp.Sub("cache");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "1", "--batch-size", "4", "--data-dir", cache);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);

        ImageFolderReaderTests.WritePng(Path.Combine(data, "cats", "c3.png"), 8, 8, 1, 200);
        var before = CliHarness.Snapshot(run);
        var resume = await CliHarness.Run("train", "--run", run, "--resume", "--steps", "2", "--data-dir", cache);
        resume.AssertUsageError(data, "changed", "cats/c3.png");
        Assert.Equal(before, CliHarness.Snapshot(run));
    }

    [Fact]
    public async Task A_bad_image_stops_training_before_the_run_exists_or_is_skipped_and_counted()
    {
        using var temp = new CliTemp();
        var data = ImageFolderReaderTests.ClassFolder(temp.Sub("pets"));
        var bad = Path.Combine(data, "dogs", "readme.png");
        File.WriteAllText(bad, "not a picture");
        var run = temp.Sub("run");

        var refused = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "1", "--batch-size", "4", "--data-dir", temp.Sub("cache"));
        refused.AssertUsageError(bad, "--skip-bad-images");
        Assert.False(Directory.Exists(run));

        var skipped = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "1", "--batch-size", "4", "--data-dir", temp.Sub("cache"),
            "--skip-bad-images");
        Assert.True(skipped.ExitCode == 0, skipped.Err + skipped.Out);
        Assert.Contains("skipped 1 bad image", skipped.Out);

        var notImages = await CliHarness.Run("train", "--dataset", "swirl", "--run", temp.Sub("run2"), "--image-size", "8");
        notImages.AssertUsageError("--image-size", "swirl");
    }
}

/// <summary><c>vdm export</c> and <c>vdm import</c>: a trained run's weights out and back in as a run that sample and eval accept.</summary>
public class WeightsCliTests
{
    [Fact]
    public async Task Export_and_import_make_a_run_that_samples_and_evaluates_like_the_original()
    {
        using var temp = new CliTemp();
        var data = ImageFolderReaderTests.ClassFolder(temp.Sub("pets"));
        var run = temp.Sub("run");
        var cache = temp.Sub("cache");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2", "--batch-size", "4", "--data-dir", cache);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);

        var export = await CliHarness.Run("export", run, "--format", "pytorch");
        Assert.True(export.ExitCode == 0, export.Err + export.Out);
        var pth = Path.Combine(run, "export", "model.pth");
        Assert.True(File.Exists(pth));

        var imported = temp.Sub("imported");
        var import = await CliHarness.Run("import", pth, "--config", Path.ChangeExtension(pth, ".json"), "--run", imported);
        Assert.True(import.ExitCode == 0, import.Err + import.Out);

        var a = await CliHarness.Run("sample", run, "--count", "2", "--sampler", "ddim", "--steps", "2", "--out-dir", temp.Sub("a"));
        var b = await CliHarness.Run("sample", imported, "--count", "2", "--sampler", "ddim", "--steps", "2", "--out-dir", temp.Sub("b"));
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, a.Err + b.Err);
        foreach (var name in new[] { "sample-000000.png", "sample-000001.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(temp.Sub("a"), name)), File.ReadAllBytes(Path.Combine(temp.Sub("b"), name)));

        var evalA = await CliHarness.Run("eval", run, "--examples", "1", "--data-dir", cache, "--json");
        var evalB = await CliHarness.Run("eval", imported, "--examples", "1", "--data-dir", cache, "--json");
        Assert.True(evalA.ExitCode == 0 && evalB.ExitCode == 0, evalA.Err + evalB.Err);
        Assert.Equal((double)JsonNode.Parse(evalA.Out)!["bitsPerDim"]!, (double)JsonNode.Parse(evalB.Out)!["bitsPerDim"]!);

        var again = await CliHarness.Run("import", pth, "--config", Path.ChangeExtension(pth, ".json"), "--run", imported);
        again.AssertUsageError(imported, "not empty");
        var wrongExt = await CliHarness.Run("export", run, "--format", "safetensors", "--out", temp.Sub("x.pth"));
        wrongExt.AssertUsageError("--out", ".safetensors");
        var notWeights = temp.Sub("notes.safetensors");
        File.WriteAllText(notWeights, "hello");
        var bad = await CliHarness.Run("import", notWeights, "--config", Path.ChangeExtension(pth, ".json"), "--run", temp.Sub("bad"));
        bad.AssertUsageError(notWeights);
        Assert.False(Directory.Exists(temp.Sub("bad")));
    }
}
