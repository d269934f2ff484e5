using System.Text.RegularExpressions;
using Vdm.Persistence;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Distributed;

/// <summary>
/// <c>vdm train</c> under <c>mpirun -np 2</c> against one process with the same global batch and seed
/// (docs/distributed.md): the ranks hold identical parameters, equal to the single process's to float tolerance;
/// resuming with another world size continues the same trajectory.
/// </summary>
[Collection(MpiCollection.Name)]
public class MpiTrainingTests(ITestOutputHelper log)
{
    /// <summary>Tiny: the swirl MLP, 6 steps of batch 32, one thread per process.</summary>
    internal static readonly string[] Small =
        ["--dataset", "swirl", "--batch-size", "32", "--channels", "16", "--blocks", "1", "--eval-every", "0", "--sample-every", "0",
         "--seed", "7", "--steps", "6", "--checkpoint-every", "3", "--threads", "1", "--comm-timeout", "60"];

    /// <summary>Summing the ranks' half-batch gradients instead of one batch's rounds differently in the last bits;
    /// over 6 AdamW steps at lr ≤ 2e-4 the parameters of the two runs stay within this (measured: about 1e-7).</summary>
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Launchers() => new() { "openmpi", "openmpi-tcp", "mpich" };

    [Theory]
    [MemberData(nameof(Launchers))]
    public void Two_ranks_hold_the_parameters_of_one_process(string launcherName)
    {
        var launcher = MpiLauncher.ByName(launcherName);
        if (launcher is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("VDM_REQUIRE_MPI") is null, $"{launcherName}: no mpirun, and VDM_REQUIRE_MPI is set (.ci/run installs Open MPI and MPICH)");
            log.WriteLine($"{launcherName}: not installed here, nothing to compare");
            return;
        }
        using var temp = new Vdm.Tests.Data.TempFolder();
        var one = Path.Combine(temp.Path, "one");
        var two = Path.Combine(temp.Path, "two");
        using (var alone = MpiLauncher.StartAlone(["train", "--run", one, .. Small]))
            Assert.True(alone.Wait() == 0, alone.Describe());
        using (var job = launcher.Start(2, ["train", "--run", two, .. Small]))
        {
            Assert.True(job.Wait() == 0, job.Describe());
            log.WriteLine(job.Output);
            Assert.Contains("data-parallel training on 2 processes", job.Output);
            Assert.Contains("step 6: all 2 ranks hold identical parameters", job.Output);
            Assert.Matches(@"img/s \S+ \(2 processes, \d+\.\d% in all-reduce\)", job.Output);
        }
        var difference = LargestDifference(Last(one), Last(two));
        log.WriteLine($"largest parameter difference, 1 process vs 2 ranks ({launcherName}): {difference:g3}");
        Assert.True(difference < Tolerance, $"parameters differ by {difference}");
    }

    [MpiFact]
    public void Resume_with_another_world_size_continues_the_same_trajectory()
    {
        var mpirun = MpiLauncher.OpenMpi()!;
        using var temp = new Vdm.Tests.Data.TempFolder();
        string reference = Path.Combine(temp.Path, "reference"), oneThenTwo = Path.Combine(temp.Path, "1to2"), twoThenOne = Path.Combine(temp.Path, "2to1");
        using (var alone = MpiLauncher.StartAlone(["train", "--run", reference, .. Small]))
            Assert.True(alone.Wait() == 0, alone.Describe());

        // 1 → 2: the single-process run's step-3 checkpoint, continued by two ranks.
        CopyRunUpTo(reference, oneThenTwo, 3);
        using (var job = mpirun.Start(2, ["train", "--run", oneThenTwo, "--resume", "--comm-timeout", "60"]))
        {
            Assert.True(job.Wait() == 0, job.Describe());
            Assert.Contains("at step 3", job.Output);
        }

        // 2 → 1: two ranks to step 6, then their step-3 checkpoint continued by one process.
        using (var job = mpirun.Start(2, ["train", "--run", twoThenOne, .. Small]))
            Assert.True(job.Wait() == 0, job.Describe());
        var twoRanksAtSix = Path.Combine(Directory.CreateDirectory(Path.Combine(temp.Path, "aside")).FullName, Checkpoint.FileName(6));
        File.Move(Last(twoThenOne), twoRanksAtSix);
        using (var alone = MpiLauncher.StartAlone(["train", "--run", twoThenOne, "--resume"]))
        {
            Assert.True(alone.Wait() == 0, alone.Describe());
            Assert.Contains("at step 3", alone.Output);
        }

        var atSix = Last(reference);
        foreach (var (name, path) in new[] { ("1→2", Last(oneThenTwo)), ("2→1", Last(twoThenOne)), ("2 ranks", twoRanksAtSix) })
        {
            Assert.EndsWith(Checkpoint.FileName(6), path);
            var difference = LargestDifference(atSix, path);
            log.WriteLine($"{name}: largest difference from the uninterrupted single process at step 6: {difference:g3}");
            Assert.True(difference < Tolerance, $"{name}: parameters differ by {difference}");
        }
    }

    /// <summary>A copy of a run folder without the checkpoints after <paramref name="step"/>.</summary>
    internal static void CopyRunUpTo(string from, string to, long step)
    {
        Directory.CreateDirectory(Path.Combine(to, "checkpoints"));
        File.Copy(Path.Combine(from, "config.json"), Path.Combine(to, "config.json"));
        File.Copy(Path.Combine(from, "checkpoints", Checkpoint.FileName(step)), Path.Combine(to, "checkpoints", Checkpoint.FileName(step)));
    }

    internal static string Last(string run) => RunFolder.NewestValidCheckpoint(run, out _) ?? throw new InvalidOperationException($"{run}: no checkpoint");

    /// <summary>Largest |a − b| over the raw (not EMA) parameters of two checkpoints.</summary>
    internal static double LargestDifference(string a, string b)
    {
        using var first = Checkpoint.LoadModel(a, ema: false);
        using var second = Checkpoint.LoadModel(b, ema: false);
        var other = second.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double largest = 0;
        foreach (var (name, p) in first.Model.named_parameters())
        {
            using var d = (p - other[name]).abs().max();
            largest = Math.Max(largest, d.to(ScalarType.Float64).item<double>());
        }
        return largest;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MpiCollection
{
    public const string Name = "MPI jobs (each takes both cores)";
}
