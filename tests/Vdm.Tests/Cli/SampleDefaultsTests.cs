using System.Text.Json.Nodes;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary><c>vdm sample</c> draws as the run drew its own grids unless told otherwise: the config's sampler, sample
/// steps and guidance are the defaults, and each flag overrides its one.</summary>
public class SampleDefaultsTests
{
    [Fact]
    public async Task Sample_defaults_to_the_runs_sampler_steps_and_guidance()
    {
        using var temp = new CliTemp();
        var data = ImageFolderTests.SquaresFolder(temp, 40, 16);
        var run = temp.Sub("run");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2", "--batch-size", "8",
            "--class-conditional", "--set", "sampler=ddim", "--set", "sampleSteps=3", "--set", "sampleGuidance=1.5");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Contains("the mixture of the 4 classes, p(x), is at most", train.Out); // beside the final bound

        var byRun = await CliHarness.Run("sample", run, "--count", "4", "--out", Path.Combine(temp.Sub("o"), "a.png"));
        Assert.True(byRun.ExitCode == 0, byRun.Err + byRun.Out);
        Assert.Contains("with ddim (3 steps, seed 0, guidance 1.5)", byRun.Out);
        // The 4 samples cycle through the 4 classes: one row of 4 columns (one class each), not a 2 × 2 square.
        var grid = Vdm.Imaging.PngReader.Read(Path.Combine(temp.Sub("o"), "a.png"));
        Assert.True(grid.Width > 3 * grid.Height, $"a {grid.Width} × {grid.Height} grid is not one row of 4");

        var told = await CliHarness.Run("sample", run, "--count", "4", "--sampler", "ancestral", "--steps", "2", "--guidance", "0", "--out", Path.Combine(temp.Sub("o"), "b.png"));
        Assert.True(told.ExitCode == 0, told.Err + told.Out);
        Assert.Contains("with ancestral (2 steps, seed 0)", told.Out);

        // --no-clip draws the same seeds without clipping x̂: at t = 1, α_1 = sqrt(sigmoid(−5)) ≈ 0.08 and an untrained ε̂ make |x̂| ≫ 1, so the images differ.
        var unclipped = await CliHarness.Run("sample", run, "--count", "4", "--sampler", "ancestral", "--steps", "2", "--guidance", "0", "--no-clip", "--out", Path.Combine(temp.Sub("o"), "c.png"));
        Assert.True(unclipped.ExitCode == 0, unclipped.Err + unclipped.Out);
        Assert.Contains("with ancestral (2 steps, seed 0, x̂ not clipped)", unclipped.Out);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(temp.Sub("o"), "b.png")), File.ReadAllBytes(Path.Combine(temp.Sub("o"), "c.png")));

        // The class-conditional bound comes with the bound on the class mixture: + log₂ K / D.
        var eval = await CliHarness.Run("eval", run, "--examples", "8", "--json");
        Assert.True(eval.ExitCode == 0, eval.Err + eval.Out);
        var result = JsonNode.Parse(eval.Out)!;
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        int classes = config["model"]!["numClasses"]!.GetValue<int>();
        long dims = config["model"]!["dataShape"]!.AsArray().Aggregate(1L, (a, d) => a * d!.GetValue<long>());
        Assert.Equal(4, classes); // the squares folder's labels
        Assert.Equal(classes, result["classMixture"]!["classes"]!.GetValue<int>());
        Assert.Equal(result["bitsPerDim"]!.GetValue<double>() + Math.Log2(classes) / dims, result["classMixture"]!["bitsPerDim"]!.GetValue<double>(), 9);
    }
}
