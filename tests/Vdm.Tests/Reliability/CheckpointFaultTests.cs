using System.Security.Cryptography;
using CsCheck;
using Vdm.Persistence;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Checkpoint integrity: header (format version, config hash, payload SHA-256) verified on load with the file and the
/// problem named; every truncation and byte flip detected; resume falls back to the newest valid checkpoint and says
/// so; non-finite weights are never saved; a failing disk leaves the previous checkpoint intact.
/// </summary>
[Trait("Category", "Fault")]
public sealed class CheckpointFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly SmallRun fixture = new();

    private string TrainedRun(string name, int steps, int checkpointEvery = 5, int keep = 3)
    {
        var dir = fixture.Dir(name);
        using var run = TrainingRun.Create(dir, SmallRun.Config(100, checkpointEvery, keep), fixture.Train, fixture.Test);
        run.Run(stopAtStep: steps);
        return dir;
    }

    [Fact]
    public void HeaderCarriesVersionConfigHashAndPayloadChecksum()
    {
        var dir = TrainedRun("header", 5);
        var path = new RunFolder(dir).Checkpoints()[0];
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("VDMCKPT\0"u8.ToArray(), bytes[..8]);
        Assert.Equal(Checkpoint.FormatVersion, BitConverter.ToInt32(bytes, 8));
        Assert.Equal(bytes.Length - 84, BitConverter.ToInt64(bytes, 12));
        Assert.Equal(Checkpoint.ConfigHash(SmallRun.Config(5)), bytes[20..52]);
        Assert.Equal(SHA256.HashData([.. bytes[..52], .. bytes[84..]]), bytes[52..84]); // covers the header too
        // Training options do not change the hash; the model does.
        Assert.Equal(Checkpoint.ConfigHash(SmallRun.Config(5)), Checkpoint.ConfigHash(SmallRun.Config(500, 50) with { LogEvery = 7 }));
        Assert.NotEqual(Checkpoint.ConfigHash(SmallRun.Config(5)), Checkpoint.ConfigHash(SmallRun.Config(5) with { Model = SmallRun.Config(5).Model with { Channels = 64 } }));
        // Scale-shift conditioning changes what the blocks' projections mean, though it leaves older (bias) hashes alone.
        Assert.NotEqual(Checkpoint.ConfigHash(SmallRun.Config(5)), Checkpoint.ConfigHash(SmallRun.Config(5) with { Model = SmallRun.Config(5).Model with { ScaleShift = true } }));

        // An older layout is named by its version.
        var v1 = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(v1.AsSpan(8), 1);
        File.WriteAllBytes(path, v1);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.OpenVerified(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void RestoreChecksTheConfigHashAndNamesBoth()
    {
        var dir = TrainedRun("hash", 5);
        var path = new RunFolder(dir).Checkpoints()[0];
        var other = SmallRun.Config(5) with { Model = SmallRun.Config(5).Model with { Blocks = 2 } };
        using var model = ModelFactory.Build(other);
        using var trainer = new Trainer(model, other.Train);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Restore(path, other, trainer));
        Assert.Contains(path, e.Message);
        Assert.Contains("config hash", e.Message);
    }

    /// <summary>Thousands of truncations, bit flips, insertions and appended bytes anywhere in a real checkpoint:
    /// every one is refused with a <see cref="CheckpointException"/> naming the file.</summary>
    [Fact]
    public void EveryTruncationAndFlipIsDetected()
    {
        var dir = TrainedRun("fuzz", 5);
        var valid = File.ReadAllBytes(new RunFolder(dir).Checkpoints()[0]);
        var path = Path.Combine(fixture.Root, "mutated.ckpt");
        var counts = new FuzzCounts("checkpoint bytes");
        Mutate.Of(valid, 84).Where(b => !b.AsSpan().SequenceEqual(valid)).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<CheckpointException>(() => Checkpoint.OpenVerified(path).Dispose());
            Assert.Contains(path, e.Message);
            counts.Rejected();
        }, seed: "0N0XIzNsQ0O2", iter: 3000, threads: 1);
        counts.Report(output, nameof(CheckpointException));
        Assert.Equal(3000, counts.Tried);
    }

    /// <summary>Beyond accidental damage: payloads altered and re-hashed (so the checksum passes) still give only
    /// <see cref="CheckpointException"/> on restore: truncated or extended payloads, a foreign embedded config.</summary>
    [Fact]
    public void RehashedDamagedPayloadsFailWithCheckpointException()
    {
        var dir = TrainedRun("rehash", 5);
        var valid = File.ReadAllBytes(new RunFolder(dir).Checkpoints()[0]);
        var path = Path.Combine(fixture.Root, "rehashed.ckpt");
        var config = SmallRun.Config(100);
        using var model = ModelFactory.Build(config);
        using var trainer = new Trainer(model, config.Train);
        var counts = new FuzzCounts("re-hashed checkpoint payloads");
        Gen.Frequency(
                (3, Gen.Int[0, valid.Length - 85].Select(n => valid[..(84 + n)])),
                (1, Gen.Byte.Array[1, 64].Select(junk => (byte[])[.. valid, .. junk])))
            .Sample(bytes =>
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(12), (long)(bytes.Length - 84));
                SHA256.HashData([.. bytes[..52], .. bytes[84..]]).CopyTo(bytes, 52);
                File.WriteAllBytes(path, bytes);
                var e = Assert.Throws<CheckpointException>(() => Checkpoint.Restore(path, config, trainer));
                Assert.Contains(path, e.Message);
                counts.Rejected();
            }, seed: "0N0XIzNsQ0O2", iter: 300, threads: 1);
        counts.Report(output, nameof(CheckpointException));
    }

    [Fact]
    public void ResumeFallsBackPastSeveralCorruptCheckpointsAndSaysWhich()
    {
        var dir = TrainedRun("fallback", 15, checkpointEvery: 5, keep: 3);
        var folder = new RunFolder(dir);
        Assert.Equal(3, folder.Checkpoints().Count); // kept the last K = 3
        var (newest, second) = (folder.Checkpoints()[0], folder.Checkpoints()[1]);
        File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..1000]);
        var bytes = File.ReadAllBytes(second);
        bytes[^1] ^= 1;
        File.WriteAllBytes(second, bytes);

        var messages = new List<string>();
        using var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test, progress: new SyncProgress<TrainingEvent>(e => { if (e is MessageEvent m) messages.Add(m.Text); }));
        Assert.Equal(5, run.Step);
        Assert.Contains(messages, m => m.Contains("skipping corrupt checkpoint") && m.Contains(newest) && m.Contains("truncated"));
        Assert.Contains(messages, m => m.Contains("skipping corrupt checkpoint") && m.Contains(second) && m.Contains("checksum"));
        Assert.Contains(messages, m => m.Contains("resumed from") && m.Contains(Checkpoint.FileName(5)));
    }

    [Fact]
    public void NonFiniteModelOrEmaWeightsAreNeverSaved()
    {
        var dir = TrainedRun("nan-weights", 5);
        var folder = new RunFolder(dir);
        var previous = folder.Checkpoints()[0];
        var before = File.ReadAllBytes(previous);
        using var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test);
        var config = run.Config;
        foreach (var poison in new Action[]
                 {
                     () => { using var g = no_grad(); run.Model.parameters().First().view(-1)[0] = float.NaN; },
                     () => { using var g = no_grad(); run.Trainer.Ema.Shadows[0].Shadow.view(-1)[0] = float.PositiveInfinity; },
                 })
        {
            var target = Path.Combine(folder.CheckpointDir, Checkpoint.FileName(99));
            poison();
            var e = Assert.Throws<CheckpointException>(() => Checkpoint.Save(target, config, run.Trainer));
            Assert.Contains("non-finite", e.Message);
            Assert.False(File.Exists(target));
            Assert.Equal(before, File.ReadAllBytes(previous));
            run.Trainer.Ema.Swap(run.Model); // the other one poisoned next; both end poisoned: fine for this test
        }
        Assert.DoesNotContain(Directory.GetFiles(folder.CheckpointDir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    /// <summary>An I/O error in the middle of a checkpoint write (a full disk, injected through a stream that fails
    /// after some bytes): the run stops with an <see cref="IOException"/> naming the file and the intact previous
    /// checkpoint; that checkpoint is byte-for-byte unchanged, no partial file is left, and resume continues from it.</summary>
    [Fact]
    public void IoErrorDuringSaveLeavesThePreviousCheckpointIntactAndStopsTheRun()
    {
        var dir = TrainedRun("io-error", 5);
        var folder = new RunFolder(dir);
        var previous = folder.Checkpoints()[0];
        var before = File.ReadAllBytes(previous);
        foreach (var budget in new long[] { 0, 10, 84, before.Length / 2, before.Length - 1 })
        {
            using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test))
            {
                run.CheckpointStreamFilter = s => new FullDiskStream(s, budget);
                var e = Assert.Throws<IOException>(() => run.Run(stopAtStep: 10));
                Assert.Contains(Checkpoint.FileName(10), e.Message);
                Assert.Contains("No space left on device", e.Message);
                Assert.Contains($"the previous checkpoint {previous} is intact", e.Message);
            }
            Assert.Equal([previous], folder.Checkpoints());
            Assert.Equal(before, File.ReadAllBytes(previous));
            Assert.Empty(Directory.GetFiles(folder.CheckpointDir, ".*"));
            Assert.False(File.Exists(folder.LockPath), "the lock must be released after the failure");
        }
        using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test))
        {
            Assert.Equal(5, run.Step);
            Assert.Equal(10, run.Run(stopAtStep: 10).Step);
        }
        output.WriteLine("injected write failures: 5 (after 0, 10, 84, half, all-but-one bytes); previous checkpoint intact each time");
    }

    /// <summary>The same with a real full disk: a tiny tmpfs (needs root and mount(2); the test says so and stops when
    /// the sandbox forbids it: the injected-stream test above covers the code path).</summary>
    [Fact]
    public void RealFullDiskDuringSaveLeavesThePreviousCheckpointIntact()
    {
        var mountPoint = fixture.Dir("tmpfs");
        Directory.CreateDirectory(mountPoint);
        if (!TryMountTmpfs(mountPoint, "8m"))
        {
            output.WriteLine("tmpfs not available here (not root, or mount refused): real full-disk check not run");
            return;
        }
        try
        {
            var dir = Path.Combine(mountPoint, "run");
            var config = SmallRun.Config(100, checkpointEvery: 5, keep: 2);
            using (var run = TrainingRun.Create(dir, config, fixture.Train, fixture.Test)) run.Run(stopAtStep: 5);
            var folder = new RunFolder(dir);
            var previous = folder.Checkpoints()[0];
            var before = File.ReadAllBytes(previous);
            // Fill the disk, leaving less room than a checkpoint needs (metrics lines still fit).
            var filler = Path.Combine(mountPoint, "filler");
            using (var fill = File.Create(filler))
            {
                var block = new byte[4096];
                try { while (true) fill.Write(block); }
                catch (IOException) { }
                fill.SetLength(Math.Max(0, fill.Length - 64 * 1024));
            }
            using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test))
            {
                var e = Assert.Throws<IOException>(() => run.Run(stopAtStep: 10));
                output.WriteLine($"real ENOSPC: {e.Message}");
                Assert.Contains(Checkpoint.FileName(10), e.Message);
                Assert.Contains("is intact", e.Message);
            }
            Assert.Equal(before, File.ReadAllBytes(previous));
            Assert.Empty(Directory.GetFiles(folder.CheckpointDir, ".*"));
            File.Delete(filler);
            output.WriteLine($"after removing the filler: {new DriveInfo(mountPoint).AvailableFreeSpace} bytes free; files: {string.Join(", ", Directory.GetFiles(mountPoint, "*", SearchOption.AllDirectories).Select(f => $"{Path.GetRelativePath(mountPoint, f)} {new FileInfo(f).Length}"))}");
            using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test))
                Assert.Equal(10, run.Run(stopAtStep: 10).Step);
        }
        finally
        {
            RunTool("umount", mountPoint);
        }
    }

    private static bool TryMountTmpfs(string mountPoint, string size) =>
        OperatingSystem.IsLinux() && Environment.UserName == "root" && RunTool("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", mountPoint) == 0;

    private static int RunTool(string tool, params string[] args)
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(info)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    public void Dispose() => fixture.Dispose();
}
