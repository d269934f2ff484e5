using System.Diagnostics;
using System.Text.RegularExpressions;
using Vdm.Persistence;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;

namespace Vdm.Tests.Reliability;

/// <summary>
/// The crash-safety claim, end to end: real <c>vdm train</c> processes (the built CLI, swirl preset) are killed with
/// SIGKILL at 10 seeded random moments (during start-up and restore, between steps, and inside checkpoint writes) and
/// resumed with <c>--resume</c>. After every kill: every checkpoint file verifies, the next process resumes from the
/// newest checkpoint that existed at the kill (so at most one checkpoint interval of steps is lost), takes over the
/// dead owner's lock and removes the partial write it left. While one process trains, a second one is refused.
/// </summary>
[Trait("Category", "Fault")]
public sealed partial class KillNineTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 10;
    private const int Interval = 5; // --checkpoint-every
    private const int Seed = 20261128;
    private readonly string root = Directory.CreateTempSubdirectory("vdm-kill9-").FullName;

    private enum Moment { AnyTime, WhileTraining, InsideCheckpointWrite }

    [Fact]
    public void KilledRunsResumeWithNoCorruptCheckpointAndAtMostOneIntervalLost()
    {
        var run = Path.Combine(root, "run");
        var folder = new RunFolder(run);
        var random = new Random(Seed);
        // Moments: the first kill after training started (the run folder must exist to be resumed), then a seeded mix.
        var moments = new List<Moment> { Moment.WhileTraining };
        var rest = new List<Moment>();
        for (int i = 0; i < 3; i++) rest.Add(Moment.AnyTime);
        for (int i = 0; i < 2; i++) rest.Add(Moment.WhileTraining);
        for (int i = 0; i < 4; i++) rest.Add(Moment.InsideCheckpointWrite);
        moments.AddRange(rest.OrderBy(_ => random.Next()));

        int resumes = 0, corruptFound = 0, partialWritesLeft = 0, partialWritesRemoved = 0, lockTakeovers = 0;
        long maxLost = 0, totalLost = 0;
        var lines = new List<string>();
        long? expectedResume = null;
        long lastSeen = 0;
        var clock = Stopwatch.StartNew();

        // The run: the swirl preset with a checkpoint every 5 steps and a progress line after every step (log-every 1, a
        // config.json setting), so that the steps done before a kill are known exactly from the child's output. The first
        // process is `vdm train --preset swirl --steps 1 …`; its run folder then gets that log cadence (not part of the
        // model config hash) and every later process resumes it with a larger --steps.
        var first = Cli.Start("train", "--preset", "swirl", "--run", run, "--steps", "1", "--checkpoint-every", $"{Interval}",
            "--eval-every", "0", "--sample-every", "0", "--threads", "1", "--seed", "7");
        Assert.True(first.Process.WaitForExit(120_000) && first.Process.ExitCode == 0, $"creating the run failed: {first.Error}");
        first.Dispose();
        var config = TrainingRun.ReadConfig(run);
        Vdm.Persistence.AtomicFile.WriteAllBytes(folder.ConfigPath, System.Text.Encoding.UTF8.GetBytes((config with { LogEvery = 1 }).ToJson()));
        expectedResume = 1; // `--steps 1` trained one step and wrote its checkpoint

        for (int k = 0; k <= Kills; k++)
        {
            bool final = k == Kills;
            var args = new[] { "train", "--run", run, "--resume", "--steps", final ? $"{expectedResume + 3 * Interval}" : "1000000", "--threads", "1" };
            bool staleLock = File.Exists(folder.LockPath);
            using var child = Cli.Start(args);

            // Resumed from exactly the newest checkpoint that existed at the kill.
            var resumed = child.WaitForLine(ResumingLine(), TimeSpan.FromSeconds(60));
            Assert.True(resumed is not null, $"process {k}: the resumed process did not report its step; output:\n{child.Output}");
            long step = long.Parse(ResumingLine().Match(resumed!).Groups[1].Value);
            Assert.Equal(expectedResume, step);
            Assert.DoesNotContain("skipping corrupt checkpoint", child.Output);
            if (k > 0)
            {
                resumes++;
                if (staleLock) lockTakeovers++;
                long lost = lastSeen - step;
                maxLost = Math.Max(maxLost, lost);
                totalLost += lost;
                Assert.True(lost <= Interval, $"after kill {k}: {lost} steps lost (last step done {lastSeen}, resumed at {step})");
                if (child.Output.Contains("partial write")) partialWritesRemoved++;
            }
            if (final)
            {
                Assert.True(child.Process.WaitForExit(120_000), "the final resume did not finish");
                Assert.True(child.Process.ExitCode == 0, $"final resume exit code {child.Process.ExitCode}: {child.Error}");
                Assert.Contains("finished", child.Output);
                break;
            }

            var moment = moments[k];
            if (k == 4) AssertSecondProcessIsRefused(run, child);
            string where = Kill(child, moment, folder, random);
            lastSeen = Math.Max(expectedResume ?? 0, child.LastStepSeen());

            // After the kill: every checkpoint verifies; a partial write may be left (hidden .tmp), never a bad .ckpt.
            var checkpoints = folder.Checkpoints();
            foreach (var path in checkpoints)
            {
                try
                {
                    Checkpoint.OpenVerified(path).Dispose();
                }
                catch (CheckpointException e)
                {
                    corruptFound++;
                    output.WriteLine($"CORRUPT after kill {k + 1}: {e.Message}");
                }
            }
            var partial = Directory.GetFiles(folder.CheckpointDir, ".*.tmp");
            partialWritesLeft += partial.Length;
            expectedResume = checkpoints.Count == 0 ? 0 : StepOf(checkpoints[0]);
            // A kill inside a write: the steps up to the checkpoint being written were done (and are the ones lost).
            foreach (var temp in partial) lastSeen = Math.Max(lastSeen, StepOf(temp));
            Assert.True(lastSeen >= expectedResume, $"kill {k + 1}: checkpoint {expectedResume} exists but the child reported only step {lastSeen}");
            if (partial.Length > 0) where = "inside a checkpoint write";
            else if (lastSeen > expectedResume && lastSeen % Interval == 0) where = "while a checkpoint was being serialised";
            var line = $"kill {k + 1,2} ({moment}, {where}): last step done {lastSeen}, newest checkpoint {expectedResume}, " +
                       $"{checkpoints.Count} checkpoint(s) all verified, {partial.Length} partial write(s) left";
            lines.Add(line);
            output.WriteLine(line);
        }

        Assert.Equal(0, corruptFound);
        Assert.Equal(Kills, resumes);
        var summary = $"kill -9 fault run (seed {Seed}, checkpoint every {Interval} steps): faults injected {Kills}, resumes succeeded {resumes}/{Kills}, " +
                      $"corrupt checkpoint files found {corruptFound}, max steps lost {maxLost} (total {totalLost}), partial writes left by kills {partialWritesLeft} " +
                      $"(removed on resume: {partialWritesRemoved} times), stale locks taken over {lockTakeovers}, second process refused 1/1, {clock.Elapsed.TotalSeconds:F0} s";
        output.WriteLine(summary);
    }

    /// <summary>Kills the child at the chosen kind of moment; says where the kill landed.</summary>
    private static string Kill(CliProcess child, Moment moment, RunFolder folder, Random random)
    {
        switch (moment)
        {
            case Moment.AnyTime:
                // From process start: may land in start-up, restore, a step or a write.
                Thread.Sleep(random.Next(300, 4000));
                break;
            case Moment.WhileTraining:
                child.WaitForLine(StepLine(), TimeSpan.FromSeconds(60));
                Thread.Sleep(random.Next(0, 1500));
                break;
            case Moment.InsideCheckpointWrite:
                child.WaitForLine(StepLine(), TimeSpan.FromSeconds(60));
                Thread.Sleep(random.Next(0, 500));
                // Poll for the hidden temp file of an atomic write and kill the moment one is seen.
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(20) && !child.Process.HasExited)
                {
                    if (Directory.Exists(folder.CheckpointDir) && Directory.EnumerateFiles(folder.CheckpointDir, ".step-*.tmp").Any())
                    {
                        child.Process.Kill(); // SIGKILL at once (the process has no children to look for)
                        break;
                    }
                    Thread.SpinWait(200);
                }
                break;
        }
        bool writing = Directory.Exists(folder.CheckpointDir) && Directory.EnumerateFiles(folder.CheckpointDir, ".step-*.tmp").Any();
        bool training = child.LastStepSeen() > 0;
        if (!child.Process.HasExited) child.Process.Kill(); // SIGKILL
        child.Process.WaitForExit();
        Assert.True(child.Process.ExitCode == 137 || child.Process.ExitCode == -1 || child.Process.ExitCode == 128 + 9,
            $"the training process ended on its own (exit {child.Process.ExitCode}) before the kill: {child.Error}");
        return writing ? "as a checkpoint write ended" : training ? "between writes" : "during start-up or restore";
    }

    private void AssertSecondProcessIsRefused(string run, CliProcess owner)
    {
        owner.WaitForLine(StepLine(), TimeSpan.FromSeconds(60));
        using var second = Cli.Start("train", "--run", run, "--resume", "--steps", "1000000", "--threads", "1");
        Assert.True(second.Process.WaitForExit(120_000));
        Assert.Equal(2, second.Process.ExitCode); // a usage error (RunInUseException), not a crash
        var error = second.Error.Trim();
        Assert.Single(error.Split('\n'));
        Assert.Contains($"in use by process {owner.Process.Id}", error);
        output.WriteLine($"second process on the same run: exit {second.Process.ExitCode}: {error}");
    }

    private static long StepOf(string checkpoint) => long.Parse(StepFile().Match(Path.GetFileName(checkpoint)).Groups[1].Value);

    [GeneratedRegex(@"resuming .* at step (\d+)")]
    private static partial Regex ResumingLine();

    [GeneratedRegex(@"^(?:step (\d+)/|checkpoint\s+step (\d+))")]
    private static partial Regex StepLine();

    [GeneratedRegex(@"step-(\d+)\.ckpt")]
    private static partial Regex StepFile();

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The built CLI (Vdm.Cli.dll next to the test assembly) run with <c>dotnet exec</c>, output captured.</summary>
    private static class Cli
    {
        public static CliProcess Start(params string[] args)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Vdm.Cli.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Vdm.Cli");
            var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(dll);
            foreach (var a in args) info.ArgumentList.Add(a);
            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            return new CliProcess(Process.Start(info)!);
        }

        private static string DotnetHost() =>
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }

    private sealed class CliProcess : IDisposable
    {
        private readonly List<string> lines = [];
        private readonly System.Text.StringBuilder error = new();

        public CliProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) { lines.Add(e.Data); Monitor.PulseAll(lines); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (lines) return string.Join('\n', lines); } }

        public string Error
        {
            get
            {
                if (Process.HasExited) Process.WaitForExit(); // drains the asynchronous readers
                lock (error) return error.ToString();
            }
        }

        /// <summary>The first output line matching <paramref name="pattern"/> (waiting for it), or null after the timeout or exit.</summary>
        public string? WaitForLine(Regex pattern, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            lock (lines)
            {
                while (true)
                {
                    var match = lines.FirstOrDefault(pattern.IsMatch);
                    if (match is not null) return match;
                    if (clock.Elapsed > timeout || Process.HasExited) return null;
                    Monitor.Wait(lines, 100);
                }
            }
        }

        /// <summary>The highest step this process reported (step lines and checkpoint lines).</summary>
        public long LastStepSeen()
        {
            lock (lines)
                return lines.Select(l => StepLine().Match(l)).Where(m => m.Success)
                    .Select(m => long.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)).DefaultIfEmpty(0).Max();
        }

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            Process.Dispose();
        }
    }
}
