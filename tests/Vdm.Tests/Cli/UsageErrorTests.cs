using Vdm.Persistence;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>Bad files and names: exit 2, one stderr line naming the thing, and nothing written or overwritten.</summary>
public class UsageErrorTests(SwirlRunFixture fixture) : IClassFixture<SwirlRunFixture>
{
    [Fact]
    public void The_fixture_run_trained()
    {
        Assert.True(fixture.Train.ExitCode == 0, fixture.Train.Err + fixture.Train.Out);
        Assert.True(File.Exists(Path.Combine(fixture.Run, "config.json")));
    }

    [Fact]
    public async Task Unknown_dataset_is_named_and_no_run_folder_is_made()
    {
        var run = fixture.NewFolder("run");
        var result = await CliHarness.Run("train", "--dataset", "no-such-data", "--run", run);
        result.AssertUsageError("no-such-data");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Missing_dataset_folder_is_named()
    {
        var run = fixture.NewFolder("run");
        var data = fixture.NewFolder("absent-data") + "/";
        var result = await CliHarness.Run("train", "--dataset", data, "--run", run);
        result.AssertUsageError(data.TrimEnd('/'));
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Unknown_preset_is_named_with_the_known_ones()
    {
        var run = fixture.NewFolder("run");
        var result = await CliHarness.Run("train", "--preset", "gigantic", "--run", run);
        result.AssertUsageError("gigantic", "mnist", "swirl");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task Malformed_data_file_is_named_and_no_run_folder_is_made()
    {
        var data = fixture.NewFolder("idx");
        Directory.CreateDirectory(data);
        var random = new Random(5);
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            var bytes = new byte[500];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(data, name), bytes);
        }
        var before = CliHarness.Snapshot(data);
        var run = fixture.NewFolder("run");
        var result = await CliHarness.Run("train", "--dataset", data, "--run", run);
        result.AssertUsageError("train-images-idx3-ubyte");
        Assert.False(Directory.Exists(run));
        Assert.Equal(before, CliHarness.Snapshot(data));
    }

    [Fact]
    public async Task Training_into_an_existing_run_without_resume_touches_nothing()
    {
        var before = CliHarness.Snapshot(fixture.Run);
        var result = await CliHarness.Run("train", "--dataset", "swirl", "--run", fixture.Run, "--steps", "2");
        result.AssertUsageError(fixture.Run, "--resume");
        Assert.Equal(before, CliHarness.Snapshot(fixture.Run));
    }

    [Fact]
    public async Task Resume_refuses_options_that_would_change_the_model()
    {
        var before = CliHarness.Snapshot(fixture.Run);
        var result = await CliHarness.Run("train", "--resume", "--run", fixture.Run, "--network", "vdm", "--lr", "0.1");
        result.AssertUsageError("--network", "--lr");
        Assert.Equal(before, CliHarness.Snapshot(fixture.Run));
    }

    [Fact]
    public async Task Resume_accepts_the_runs_own_values_of_fixed_options()
    {
        var run = fixture.CopyRun();
        var result = await CliHarness.Run("train", "--resume", "--run", run, "--steps", "5", "--batch-size", "32", "--channels", "16",
            "--seed", "3", "--checkpoint-every", "2", "--network", "mlp");
        Assert.True(result.ExitCode == 0, result.Err + result.Out);
        Assert.Contains("resuming", result.Out);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", Vdm.Persistence.Checkpoint.FileName(5))));
    }

    [Fact]
    public async Task Resume_on_other_data_is_refused()
    {
        var before = CliHarness.Snapshot(fixture.Run);
        var result = await CliHarness.Run("train", "--resume", "--run", fixture.Run, "--dataset", "moons");
        result.AssertUsageError("moons", "swirl");
        Assert.Equal(before, CliHarness.Snapshot(fixture.Run));
    }

    [Fact]
    public async Task Resume_of_a_finished_run_says_so_and_touches_nothing()
    {
        var before = CliHarness.Snapshot(fixture.Run);
        var result = await CliHarness.Run("train", "--resume", "--run", fixture.Run);
        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Contains("already at step 4 of 4", result.Out);
        Assert.Equal(before, CliHarness.Snapshot(fixture.Run));
    }

    [Fact]
    public async Task Resume_of_a_folder_that_is_not_a_run_names_it()
    {
        var folder = fixture.NewFolder("not-a-run");
        Directory.CreateDirectory(folder);
        var result = await CliHarness.Run("train", "--resume", "--run", folder);
        result.AssertUsageError("config.json");
        Assert.Empty(CliHarness.Snapshot(folder));
    }

    [Fact]
    public async Task Resume_with_a_corrupt_config_names_the_file_and_touches_nothing()
    {
        var run = fixture.CopyRun();
        File.WriteAllText(Path.Combine(run, "config.json"), "{ \"dataset\": \"swirl\", \"model\": { \"network\": 42 ");
        var before = CliHarness.Snapshot(run);
        var result = await CliHarness.Run("train", "--resume", "--run", run, "--steps", "6");
        result.AssertUsageError("config.json");
        Assert.Equal(before, CliHarness.Snapshot(run));
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("eval")]
    [InlineData("plot")]
    public async Task Missing_checkpoint_or_run_is_named(string verb)
    {
        var missing = Path.Combine(fixture.NewFolder("gone"), "step-00000004.ckpt");
        var result = await CliHarness.Run(verb, missing);
        result.AssertUsageError(missing);
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("eval")]
    public async Task Corrupt_checkpoint_file_is_named_and_nothing_is_written(string verb)
    {
        var folder = fixture.NewFolder("corrupt");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "step-00000004.ckpt");
        var bytes = new byte[4096];
        new Random(11).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var output = Path.Combine(folder, "out.png");
        var before = CliHarness.Snapshot(folder);
        var result = verb == "sample"
            ? await CliHarness.Run("sample", path, "--out", output)
            : await CliHarness.Run("eval", path, "--per-time", Path.Combine(folder, "t.csv"));
        result.AssertUsageError(path);
        Assert.Equal(before, CliHarness.Snapshot(folder));
    }

    [Fact]
    public async Task Run_whose_checkpoints_are_all_corrupt_is_named_and_untouched()
    {
        var run = fixture.CopyRun();
        foreach (var ckpt in Directory.GetFiles(Path.Combine(run, "checkpoints")))
        {
            var bytes = File.ReadAllBytes(ckpt);
            bytes[^10] ^= 0xFF; // one flipped byte: the checksum no longer matches
            File.WriteAllBytes(ckpt, bytes);
        }
        var before = CliHarness.Snapshot(run);
        var result = await CliHarness.Run("sample", run, "--count", "4", "--steps", "2");
        result.AssertUsageError(run);
        Assert.Equal(before, CliHarness.Snapshot(run));
    }

    [Fact]
    public async Task Existing_output_is_not_overwritten_when_the_checkpoint_is_bad()
    {
        var folder = fixture.NewFolder("keep");
        Directory.CreateDirectory(folder);
        var output = Path.Combine(folder, "samples.png");
        File.WriteAllBytes(output, [1, 2, 3]);
        var bad = Path.Combine(folder, "bad.ckpt");
        File.WriteAllBytes(bad, "VDMCKPT\0 but then nothing useful"u8.ToArray());
        var before = CliHarness.Snapshot(folder);
        var result = await CliHarness.Run("sample", bad, "--out", output);
        result.AssertUsageError(bad);
        Assert.Equal(before, CliHarness.Snapshot(folder));
    }

    [Fact]
    public async Task Sample_options_the_model_cannot_honour_are_refused()
    {
        var output = Path.Combine(fixture.NewFolder("o"), "x.png");
        var result = await CliHarness.Run("sample", fixture.Run, "--class", "2", "--out", output);
        result.AssertUsageError("--class", "not class-conditional");
        Assert.False(File.Exists(output));
        var wrongExtension = await CliHarness.Run("sample", fixture.Run, "--out", Path.ChangeExtension(output, ".jpg"));
        wrongExtension.AssertUsageError("--out", ".png");
    }
}
