using System.Diagnostics;
using System.Text.RegularExpressions;
using Vdm.Persistence;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;

namespace Vdm.Tests.Distributed;

/// <summary>
/// A rank that dies (SIGKILL: the launcher notices) or hangs (SIGSTOP: only the --comm-timeout watchdog notices)
/// ends the whole job within a stated time with exit ≠ 0; the last checkpoint verifies, and <c>--resume</c>
/// continues from it (docs/distributed.md, "When a rank fails").
/// </summary>
[Collection(MpiCollection.Name)]
public partial class RankFailureTests(ITestOutputHelper log)
{
    private const int CommTimeoutSeconds = 10;

    /// <summary>The stated bound: the watchdog's timeout plus the launcher's tear-down (measured: 2-3 s).</summary>
    private const int EndWithinSeconds = CommTimeoutSeconds + 20;

    [Theory]
    [InlineData("KILL")]
    [InlineData("STOP")]
    public void A_failed_rank_ends_the_job_and_resume_continues_from_the_last_checkpoint(string signal)
    {
        var mpirun = MpiLauncher.OpenMpi();
        if (mpirun is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("VDM_REQUIRE_MPI") is null, "no Open MPI mpirun, and VDM_REQUIRE_MPI is set");
            return;
        }
        using var temp = new Vdm.Tests.Data.TempFolder();
        var run = Path.Combine(temp.Path, "run");
        string[] args = ["train", "--run", run, "--dataset", "swirl", "--batch-size", "32", "--channels", "16", "--blocks", "1", "--eval-every", "0",
            "--sample-every", "0", "--seed", "7", "--steps", "100000", "--checkpoint-every", "5", "--threads", "1", "--comm-timeout", $"{CommTimeoutSeconds}"];
        int rank1;
        var clock = new Stopwatch();
        using (var job = mpirun.Start(2, args))
        {
            var deadline = Stopwatch.StartNew();
            while (!job.Output.Contains("checkpoint  step 10", StringComparison.Ordinal))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120) && !job.Process.HasExited, $"no second checkpoint: {job.Describe()}");
                Thread.Sleep(100);
            }
            rank1 = RankProcess(job.Process.Id, mpirun.RankVariable, 1);
            Assert.True(rank1 > 0, "rank 1's process not found");
            Assert.Equal(0, Kill(rank1, signal));
            clock.Start();
            Assert.True(job.Process.WaitForExit(EndWithinSeconds * 1000), $"the job outlived a {signal}ped rank by {EndWithinSeconds} s: {job.Output}\n{job.Error}");
            job.Process.WaitForExit();
            log.WriteLine($"SIG{signal} of rank 1: the job ended after {clock.Elapsed.TotalSeconds:0.0} s with exit {job.Process.ExitCode}\n{job.Error}");
            Assert.NotEqual(0, job.Process.ExitCode);
            if (signal == "STOP") Assert.Contains($"has waited {CommTimeoutSeconds} s for the other ranks", job.Error);
            else Assert.Contains("exited on signal 9", job.Error);
        }
        if (signal == "STOP") Kill(rank1, "KILL"); // in case the launcher left it stopped

        var last = RunFolder.NewestValidCheckpoint(run, out var corrupt);
        Assert.Empty(corrupt);
        Assert.NotNull(last);
        var step = long.Parse(StepNumber().Match(Path.GetFileName(last)).Groups[1].Value);
        Assert.True(step >= 10, $"newest checkpoint {last}");

        var resumeArgs = new[] { "train", "--run", run, "--resume", "--steps", $"{step + 3}", "--comm-timeout", "60" };
        using var again = mpirun.Start(2, resumeArgs);
        Assert.True(again.Wait() == 0, again.Describe());
        Assert.Contains($"resumed from {last} at step {step}", again.Output);
        Assert.Contains($"finished {step + 3} steps", again.Output);
    }

    /// <summary>The process below <paramref name="launcher"/> whose environment says it is rank <paramref name="rank"/>.</summary>
    private static int RankProcess(int launcher, string variable, int rank)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || !Descends(pid, launcher)) continue;
                try
                {
                    var environ = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                    if (environ.Contains($"{variable}={rank}") && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("Vdm.Cli.dll", StringComparison.Ordinal))
                        return pid;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            Thread.Sleep(100);
        }
        return -1;
    }

    private static bool Descends(int pid, int ancestor)
    {
        for (int i = 0; i < 10 && pid > 1; i++)
        {
            if (pid == ancestor) return true;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
                return false;
            }
        }
        return false;
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", $"{pid}"]);
        kill.WaitForExit();
        return kill.ExitCode;
    }

    [GeneratedRegex(@"step-(\d+)\.ckpt")]
    private static partial Regex StepNumber();
}
