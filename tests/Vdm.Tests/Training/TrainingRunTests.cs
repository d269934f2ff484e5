using Vdm.Data;
using Vdm.Imaging;
using Vdm.Persistence;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Training;

public sealed class TrainingRunTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "vdm-run-" + Guid.NewGuid().ToString("N"));
    private readonly Dataset train = Toy2D.Swirl(512, seed: 1);
    private readonly Dataset test = Toy2D.Swirl(256, seed: 2, split: "test");

    private static RunConfig Config(int steps) => Presets.Get("swirl") with
    {
        Model = Presets.Get("swirl").Model with { Channels = 32, Blocks = 1, Dropout = 0.1 },
        Train = Presets.Get("swirl").Train with { Steps = steps, BatchSize = 64, WarmupSteps = 5, Seed = 3 },
        EvalEvery = 0,
        SampleEvery = 0,
        CheckpointEvery = 7,
        KeepCheckpoints = 2,
        EvalExamples = 128,
        SampleCount = 64,
        SampleSteps = 5,
    };

    private static float[][] Parameters(TrainingRun run) =>
        run.Model.parameters().Select(p => p.detach().cpu().data<float>().ToArray())
            .Concat(run.Trainer.Ema.Shadows.Select(s => s.Shadow.cpu().data<float>().ToArray())).ToArray();

    [Fact]
    public void ResumedRunEqualsAnUninterruptedOne()
    {
        float[][] straight;
        using (var run = TrainingRun.Create(Path.Combine(root, "straight"), Config(30), train, test))
        {
            var summary = run.Run();
            Assert.Equal(30, summary.Step);
            straight = Parameters(run);
        }

        var split = Path.Combine(root, "split");
        using (var run = TrainingRun.Create(split, Config(30), train, test))
            Assert.Equal(15, run.Run(stopAtStep: 15).Step);
        float[][] resumed;
        using (var run = TrainingRun.Resume(split, train, test))
        {
            Assert.Equal(15, run.Step);
            run.Run();
            resumed = Parameters(run);
        }

        Assert.Equal(straight.Length, resumed.Length);
        for (int i = 0; i < straight.Length; i++) Assert.Equal(straight[i], resumed[i]); // bit-identical
    }

    [Fact]
    public void RunFolderHoldsConfigMetricsCheckpointsAndSamples()
    {
        var dir = Path.Combine(root, "layout");
        using (var run = TrainingRun.Create(dir, Config(20), train, test))
        {
            run.SaveGrid = Vdm.Imaging.SampleImages.SaveGrid;
            var summary = run.Run();
            Assert.NotNull(summary.FinalEval);
            Assert.True(File.Exists(summary.LastSamples));
        }
        var folder = new RunFolder(dir);
        Assert.Equal(Config(20).ToJson(), File.ReadAllText(folder.ConfigPath));
        Assert.Equal(2, folder.Checkpoints().Count); // kept the newest two
        Assert.EndsWith(Checkpoint.FileName(20), folder.Checkpoints()[0]);
        var records = MetricsLog.Read(folder.MetricsPath).ToList();
        Assert.Contains(records, r => r.Kind == "train" && r.Step == 20 && r.Values.ContainsKey("bpd"));
        Assert.Contains(records, r => r.Kind == "eval" && r.Values.ContainsKey("stderr"));
        Assert.False(File.Exists(folder.LockPath), "the lock must be released");
    }

    [Fact]
    public void CorruptNewestCheckpointIsSkippedOnResume()
    {
        var dir = Path.Combine(root, "corrupt");
        using (var run = TrainingRun.Create(dir, Config(14), train, test)) run.Run(stopAtStep: 14);
        var folder = new RunFolder(dir);
        var newest = folder.Checkpoints()[0];
        var bytes = File.ReadAllBytes(newest);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(newest, bytes);

        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.OpenVerified(newest).Dispose());
        Assert.Contains("checksum", ex.Message);
        Assert.Contains(newest, ex.Message);
        var messages = new List<string>();
        using var resumed = TrainingRun.Resume(dir, train, test, progress: new SyncProgress(e => { if (e is MessageEvent m) messages.Add(m.Text); }));
        Assert.Equal(7, resumed.Step);
        Assert.Contains(messages, m => m.Contains("skipping corrupt checkpoint"));
    }

    [Fact]
    public void TruncatedOrForeignFilesAreRejectedWithTheirName()
    {
        Directory.CreateDirectory(root);
        var junk = Path.Combine(root, "junk.ckpt");
        File.WriteAllBytes(junk, [1, 2, 3]);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.LoadModel(junk));
        Assert.Contains(junk, ex.Message);
        Assert.Throws<CheckpointException>(() => Checkpoint.LoadModel(Path.Combine(root, "missing")));
    }

    [Fact]
    public void ASecondProcessCannotTrainTheSameRunAndNonEmptyFoldersAreRefused()
    {
        var dir = Path.Combine(root, "locked");
        using var run = TrainingRun.Create(dir, Config(10), train, test);
        var ex = Assert.Throws<RunInUseException>(() => TrainingRun.Resume(dir, train, test));
        Assert.Contains("in use by process", ex.Message);
        Assert.Throws<ArgumentException>(() => TrainingRun.Create(dir, Config(10), train, test));
    }

    [Fact]
    public void StaleLockFromADeadProcessIsTakenOver()
    {
        var dir = Path.Combine(root, "stale");
        using (var run = TrainingRun.Create(dir, Config(7), train, test)) run.Run();
        File.WriteAllText(new RunFolder(dir).LockPath, "999999999");
        using var resumed = TrainingRun.Resume(dir, train, test);
        Assert.Equal(7, resumed.Step);
    }

    [Fact]
    public void CheckpointOfAnotherModelIsRefused()
    {
        var dir = Path.Combine(root, "mismatch");
        using (var run = TrainingRun.Create(dir, Config(7), train, test)) run.Run();
        var folder = new RunFolder(dir);
        var other = Config(7) with { Model = Config(7).Model with { Channels = 16 } };
        File.WriteAllText(folder.ConfigPath, other.ToJson());
        var ex = Assert.Throws<CheckpointException>(() => TrainingRun.Resume(dir, train, test));
        Assert.Contains("different model", ex.Message);
    }

    public void Dispose()
    {
        train.Dispose();
        test.Dispose();
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private sealed class SyncProgress(Action<TrainingEvent> report) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value) => report(value);
    }
}
