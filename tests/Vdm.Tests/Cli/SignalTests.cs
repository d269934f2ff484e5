using System.Diagnostics;
using Vdm.Training;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>SIGTERM (sent by schedulers before SIGKILL) stops training cleanly: a checkpoint, the lock released, exit 0.</summary>
public class SignalTests
{
    [Fact]
    public async Task SigtermWritesACheckpointAndExitsZero()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        var cli = Path.Combine(AppContext.BaseDirectory, "Vdm.Cli.dll");
        var start = new ProcessStartInfo("dotnet", ["exec", cli, "train", "--dataset", "swirl", "--run", run, "--steps", "1000000",
            "--checkpoint-every", "0", "--eval-every", "0", "--channels", "16"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var metrics = Path.Combine(run, "metrics.jsonl");
        var waited = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && new FileInfo(metrics).Length > 0) && waited.Elapsed < TimeSpan.FromMinutes(2) && !process.HasExited)
            await Task.Delay(200);
        Assert.False(process.HasExited, "training ended before the signal: " + await stderr);

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.Contains("interrupted at step", await stdout);
        var checkpoints = new RunFolder(run).Checkpoints();
        Assert.Single(checkpoints);
        using (Checkpoint.OpenVerified(checkpoints[0])) { }
        Assert.False(File.Exists(new RunFolder(run).LockPath), "the run lock must be released");
    }
}
