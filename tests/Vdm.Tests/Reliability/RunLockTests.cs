using System.Diagnostics;
using Vdm.Persistence;
using Vdm.Training;
using Xunit;

namespace Vdm.Tests.Reliability;

/// <summary>The run lock: flock-guarded, stale locks taken over, a recycled pid does not block a run forever, and a run
/// killed while starting (only its lock left) can be started again.</summary>
[Trait("Category", "Fault")]
public sealed class RunLockTests : IDisposable
{
    private readonly SmallRun fixture = new();

    [Fact]
    public void ALockNamingALiveUnrelatedProcessIsStale()
    {
        var dir = fixture.Dir("recycled");
        using (var run = TrainingRun.Create(dir, SmallRun.Config(5), fixture.Train, fixture.Test)) run.Run();
        // A pid that is alive but not a Vdm process: what a killed run's pid becomes after a container restart.
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(new RunFolder(dir).LockPath, sleeper.Id.ToString());
            using var resumed = TrainingRun.Resume(dir, fixture.Train, fixture.Test);
            Assert.Equal(5, resumed.Step);
            Assert.Equal(Environment.ProcessId.ToString(), File.ReadAllText(new RunFolder(dir).LockPath));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public void TheGuardRefusesASecondOpenerEvenWithoutRunLock()
    {
        var dir = fixture.Dir("guard");
        using var run = TrainingRun.Create(dir, SmallRun.Config(5), fixture.Train, fixture.Test);
        File.Delete(new RunFolder(dir).LockPath); // someone removed the pid file: the flock still holds
        var e = Assert.Throws<RunInUseException>(() => TrainingRun.Resume(dir, fixture.Train, fixture.Test));
        Assert.Contains("in use", e.Message);
    }

    [Fact]
    public void ARunKilledWhileStartingCanBeCreatedAgain()
    {
        var dir = fixture.Dir("half-started");
        Directory.CreateDirectory(dir);
        var folder = new RunFolder(dir);
        File.WriteAllText(folder.LockPath, "999999999");
        File.WriteAllText(folder.GuardPath, "");
        File.WriteAllText(Path.Combine(dir, ".config.json.0123.tmp"), "{ half");
        using var run = TrainingRun.Create(dir, SmallRun.Config(5), fixture.Train, fixture.Test);
        Assert.False(File.Exists(Path.Combine(dir, ".config.json.0123.tmp")));
        Assert.True(File.Exists(folder.ConfigPath));
    }

    public void Dispose() => fixture.Dispose();
}
