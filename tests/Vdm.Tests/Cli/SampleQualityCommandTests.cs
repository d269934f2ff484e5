using System.Text.Json.Nodes;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary><c>vdm eval --sample-quality</c> on a user's labelled IDX folder: the classifier is trained once into
/// the data cache and reused, the figures reach the JSON, and impossible requests are usage errors.</summary>
public class SampleQualityCommandTests
{
    /// <summary>The same figures at the end of <c>vdm train</c>, asked for in the config, in metrics.jsonl.</summary>
    [Fact]
    public async Task Train_scores_its_final_samples_when_the_config_asks()
    {
        using var temp = new CliTemp();
        var data = ImageFolderTests.SquaresFolder(temp, 40, 16);
        var run = temp.Sub("run");
        var cache = temp.Sub("cache");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2", "--batch-size", "8",
            "--set", "finalSampleQuality=8", "--set", "sampleSteps=2", "--data-dir", cache, "--class-conditional");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Contains("sample quality of 8 samples", train.Out);
        var line = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Single(n => (string?)n["kind"] == "sample-quality");
        Assert.Equal(2, (long)line["step"]!);
        Assert.True(double.IsFinite((double)line["fd"]!) && (double)line["fd"]! >= 0);
        Assert.InRange((double)line["confidence"]!, 0.0, 1.0);
        Assert.InRange((double)line["classEntropyBits"]!, 0.0, Math.Log2(4) + 1e-9); // 4 classes in the squares folder
        Assert.Single(Directory.GetFiles(Path.Combine(cache, "classifiers"), "*.bin")); // the run's --data-dir holds the classifier
        // A class-conditional model: the samples were drawn for classes 0..3 in turn, two each, and are read per class.
        Assert.InRange((double)line["agreement"]!, 0.0, 1.0);
        Assert.Contains("read as the class drawn for", train.Out);
        for (int k = 0; k < 4; k++) Assert.InRange((double)line[$"confidence{k}"]!, 0.25, 1.0);

        var eval = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "2", "--seed", "1", "--data-dir", cache, "--json");
        Assert.True(eval.ExitCode == 0, eval.Err + eval.Out);
        var quality = JsonNode.Parse(eval.Out)!["sampleQuality"]!;
        var perClass = quality["perClass"]!.AsArray();
        Assert.Equal([0, 1, 2, 3], perClass.Select(c => c!["label"]!.GetValue<int>()));
        Assert.All(perClass, c => Assert.Equal(2, c!["sampled"]!["count"]!.GetValue<int>()));
        Assert.Equal(8, perClass.Sum(c => c!["real"]!["count"]!.GetValue<int>())); // the first 8 test images, by their labels
        var agreement = quality["agreement"]!["sampled"]!.GetValue<double>();
        Assert.Equal(perClass.Average(c => c!["sampled"]!["agreement"]!.GetValue<double>()), agreement, 12); // equal counts
        Assert.Equal((double)line["agreement"]!, agreement, 12); // train's final samples are eval's with the run's seed (1)
    }

    [Fact]
    public async Task Eval_scores_samples_and_real_images_and_caches_the_classifier()
    {
        using var temp = new CliTemp();
        var data = ImageFolderTests.SquaresFolder(temp, 40, 16);
        var run = temp.Sub("run");
        var cache = temp.Sub("cache");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2", "--batch-size", "8");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);

        var first = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "2", "--data-dir", cache, "--json");
        Assert.True(first.ExitCode == 0, first.Err + first.Out);
        var quality = JsonNode.Parse(first.Out)!["sampleQuality"]!;
        Assert.Equal(8, quality["samples"]!.GetValue<int>());
        Assert.Equal(8, quality["referenceImages"]!.GetValue<int>()); // the other half of the 16 test images
        Assert.Contains("not Inception", quality["metric"]!.GetValue<string>());
        foreach (var part in new[] { "sampled", "real" })
        {
            Assert.True(quality[part]!["frechetDistance"]!.GetValue<double>() >= 0);
            Assert.InRange(quality[part]!["meanConfidence"]!.GetValue<double>(), 0.25, 1.0); // 4 classes: the top one has ≥ 1/4
            Assert.InRange(quality[part]!["classEntropyBits"]!.GetValue<double>(), 0.0, 2.0); // log₂ 4
        }
        Assert.Null(quality["perClass"]); // the tiny preset is unconditional: no class to read the samples against
        var classifiers = Directory.GetFiles(Path.Combine(cache, "classifiers"), "*.bin");
        Assert.Single(classifiers);
        var written = File.GetLastWriteTimeUtc(classifiers[0]);

        var second = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "2", "--data-dir", cache);
        Assert.True(second.ExitCode == 0, second.Err + second.Out);
        Assert.Contains("8 samples", second.Out);
        Assert.Contains("8 real test images", second.Out);
        Assert.DoesNotContain("read as the class drawn for", second.Out);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Assert.Single(Directory.GetFiles(Path.Combine(cache, "classifiers"), "*.bin"))));
        Assert.Equal(first.Out, (await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "2", "--data-dir", cache, "--json")).Out);
        Assert.Equal("ancestral", quality["sampler"]!.GetValue<string>()); // the run's sampler (the presets')
        Assert.Equal(2, quality["sampleSteps"]!.GetValue<int>());
        Assert.True(quality["clipDenoised"]!.GetValue<bool>()); // the samplers clip x̂ unless told not to

        // --no-clip: the same seeds through the unclipped reverse process, other samples, reported as such.
        var unclipped = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "2", "--no-clip", "--data-dir", cache, "--json");
        Assert.True(unclipped.ExitCode == 0, unclipped.Err + unclipped.Out);
        var raw = JsonNode.Parse(unclipped.Out)!["sampleQuality"]!;
        Assert.False(raw["clipDenoised"]!.GetValue<bool>());
        Assert.NotEqual(quality["sampled"]!.ToJsonString(), raw["sampled"]!.ToJsonString());

        // --sampler ddim draws other samples from the same seed (the real images' figures stay as they were).
        var ddim = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "8", "--sample-steps", "3", "--sampler", "ddim", "--data-dir", cache, "--json");
        Assert.True(ddim.ExitCode == 0, ddim.Err + ddim.Out);
        var other = JsonNode.Parse(ddim.Out)!["sampleQuality"]!;
        Assert.Equal("ddim", other["sampler"]!.GetValue<string>());
        Assert.Equal(3, other["sampleSteps"]!.GetValue<int>());
        Assert.Equal(quality["real"]!.ToJsonString(), other["real"]!.ToJsonString());
        Assert.NotEqual(quality["sampled"]!.ToJsonString(), other["sampled"]!.ToJsonString());
    }

    [Fact]
    public async Task More_samples_than_half_the_test_split_is_a_usage_error()
    {
        using var temp = new CliTemp();
        var data = ImageFolderTests.SquaresFolder(temp, 16, 8);
        var run = temp.Sub("run");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "1", "--batch-size", "8");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        var tooMany = await CliHarness.Run("eval", run, "--sample-quality", "--samples", "5", "--data-dir", temp.Sub("cache"));
        tooMany.AssertUsageError("--samples 5", "half the test split (4)");
        Assert.False(Directory.Exists(Path.Combine(temp.Sub("cache"), "classifiers")));
    }
}
