using System.Text.Json;
using Vdm.Imaging;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>The whole tool on a small synthetic dataset: train, sample, eval, resume, plot, interrupt.</summary>
public class EndToEndTests
{
    private static readonly string[] SmallSwirl =
        ["--dataset", "swirl", "--batch-size", "32", "--channels", "16", "--blocks", "1", "--eval-every", "0", "--seed", "7"];

    [Fact]
    public async Task Train_sample_eval_resume_and_plot()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");

        var train = await CliHarness.Run(["train", "--run", run, "--steps", "4", "--checkpoint-every", "2", .. SmallSwirl]);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Equal("", train.Err);
        Assert.Contains("step 4/4", train.Out);
        Assert.Matches(@"test bits/dim: \d+\.\d+ ± \d+\.\d+", train.Out);
        Assert.Contains("samples: ", train.Out);
        Assert.True(File.Exists(Path.Combine(run, "config.json")));
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "step-00000004.ckpt")));

        var png = temp.Sub("out/samples.png");
        var sample = await CliHarness.Run("sample", run, "--count", "16", "--sampler", "ddim", "--steps", "5", "--seed", "1", "--out", png);
        Assert.True(sample.ExitCode == 0, sample.Err + sample.Out);
        Assert.True(PngReader.Read(png).Width > 0);
        var first = File.ReadAllBytes(png);
        var again = await CliHarness.Run("sample", run, "--count", "16", "--sampler", "ddim", "--steps", "5", "--seed", "1", "--out", png);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(first, File.ReadAllBytes(png)); // same seed, same picture

        var ancestral = await CliHarness.Run("sample", run, "--count", "8", "--steps", "5");
        Assert.True(ancestral.ExitCode == 0, ancestral.Err);
        Assert.True(File.Exists(Path.Combine(run, "samples", "sample-00000004-ancestral-seed0.png")));

        var perTime = temp.Sub("per-time.csv");
        var eval = await CliHarness.Run("eval", run, "--examples", "64", "--batch-size", "32", "--json", "--per-time", perTime);
        Assert.True(eval.ExitCode == 0, eval.Err + eval.Out);
        using (var json = JsonDocument.Parse(eval.Out))
        {
            var root = json.RootElement;
            Assert.Equal(4, root.GetProperty("step").GetInt64());
            Assert.Equal(64, root.GetProperty("examples").GetInt32());
            var total = root.GetProperty("bitsPerDim").GetDouble();
            var sum = root.GetProperty("recon").GetDouble() + root.GetProperty("prior").GetDouble() + root.GetProperty("diffusion").GetDouble();
            Assert.Equal(total, sum, 3);
            Assert.True(root.GetProperty("stdErr").GetDouble() > 0);
        }
        Assert.StartsWith("t,", File.ReadLines(perTime).First());

        var table = await CliHarness.Run("eval", run, "--examples", "32", "--time-steps", "10");
        Assert.True(table.ExitCode == 0, table.Err);
        Assert.Contains("T = 10", table.Out);
        Assert.Matches(@"total\s+\d+\.\d+ ± \d+\.\d+ bits/dim", table.Out);

        var resume = await CliHarness.Run("train", "--run", run, "--resume", "--steps", "6", "--minutes", "0"); // 0: no time budget
        Assert.True(resume.ExitCode == 0, resume.Err + resume.Out);
        Assert.Contains("at step 4", resume.Out);
        Assert.Contains("finished 6 steps", resume.Out);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "step-00000006.ckpt")));

        var plot = await CliHarness.Run("plot", run);
        Assert.True(plot.ExitCode == 0, plot.Err + plot.Out);
        foreach (var name in new[] { "loss.png", "loss-terms.png", "schedule.png" })
            Assert.True(PngReader.Read(Path.Combine(run, "plots", name)).Width > 0, name);
    }

    [Fact]
    public async Task The_live_renderers_run_to_the_end()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new Vdm.Cli.Infrastructure.CliContext(stdout, stderr, interactive: true, CancellationToken.None);
        var code = await Vdm.Cli.Program.Run(["train", "--run", run, "--steps", "3", .. SmallSwirl], context);
        Assert.True(code == 0, stderr.ToString() + stdout);
        Assert.Contains("finished 3 steps", stdout.ToString());
        Assert.Contains("test bits/dim:", stdout.ToString());

        code = await Vdm.Cli.Program.Run(["eval", run, "--examples", "40"], context);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("total", stdout.ToString());
        code = await Vdm.Cli.Program.Run(["data", "list"], context);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("fashion-mnist", stdout.ToString());
    }

    [Fact]
    public async Task Cancelling_saves_a_checkpoint_and_exits_zero()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // as if Ctrl-C came right away
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Vdm.Cli.Program.Run(["train", "--run", run, "--steps", "50", .. SmallSwirl], stdout, stderr, cancel.Token);
        Assert.True(code == 0, stderr.ToString() + stdout);
        Assert.Contains("interrupted at step", stdout.ToString());
        Assert.Contains("--resume", stdout.ToString());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "checkpoints"), "*.ckpt"));
    }
}
