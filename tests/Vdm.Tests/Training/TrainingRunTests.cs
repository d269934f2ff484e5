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

    /// <summary>A run whose wall-clock budget ends before its step count decays the learning rate to the minimum by
    /// the budget's end: the cosine follows the clock (here a fake one, a tenth of a minute per step), and a resumed
    /// run decays the rest of the way within its own budget.</summary>
    [Fact]
    public void TheLearningRateDecaysOverTheBudgetWhenItEndsBeforeTheSteps()
    {
        var config = Config(1000) with { Train = Config(1000).Train with { Minutes = 1, WarmupSteps = 2, LearningRate = 2e-3, MinLearningRate = 1e-5 } };
        var dir = Path.Combine(root, "budget");
        var rates = new List<double>();
        var progress = new SyncProgress(e => { if (e is StepEvent s) rates.Add(s.Result.LearningRate); });
        long stepsBefore;
        using (var run = TrainingRun.Create(dir, config, train, test))
        {
            run.ElapsedMinutes = () => 0.1 * run.Step;
            var summary = run.Run(progress);
            Assert.Equal(10, summary.Step); // the budget, not the 1000 steps, ended it
            stepsBefore = run.Step;
        }
        Assert.Equal(10, rates.Count);
        for (int step = 2; step < 10; step++)
        {
            // Cosine at progress 0.1 · step, the clock's share of the budget; by steps alone it would be ≤ 0.008.
            double expected = 1e-5 + 0.5 * (2e-3 - 1e-5) * (1 + Math.Cos(Math.PI * 0.1 * step));
            Assert.Equal(expected, rates[step], 12);
        }
        Assert.True(rates[9] < 0.03 * 2e-3, $"the last step's rate {rates[9]:g3} should be near the minimum");

        // Resumed with a new budget: from step progress (10 − 2)/998 the rest of the way to 1 in that budget.
        rates.Clear();
        using (var run = TrainingRun.Resume(dir, train, test, config.Train with { Minutes = 2 }))
        {
            long start = run.Step;
            run.ElapsedMinutes = () => 0.5 * (run.Step - start);
            run.Run(progress);
        }
        double startProgress = 8.0 / 998;
        Assert.Equal(4, rates.Count);
        for (int i = 0; i < 4; i++)
        {
            double p = startProgress + (1 - startProgress) * (0.5 * i / 2);
            Assert.Equal(1e-5 + 0.5 * (2e-3 - 1e-5) * (1 + Math.Cos(Math.PI * p)), rates[i], 12);
        }
        Assert.Equal(stepsBefore + 4, new RunFolder(dir).Checkpoints().Select(Checkpoint.StepOf).Max());
    }

    /// <summary>The trainer hands the model the same progress the learning rate follows, by steps or by the budget.</summary>
    [Fact]
    public void TheModelSeesTheTrainingProgressOfEachStep()
    {
        var config = Config(12) with { Train = Config(12).Train with { WarmupSteps = 2 } };
        using var run = TrainingRun.Create(Path.Combine(root, "progress"), config, train, test);
        var seen = new List<double>();
        run.Trainer.AfterUpdateHook = t => seen.Add(t.Model.TrainingProgress);
        run.Run(stopAtStep: 7);
        Assert.Equal(Enumerable.Range(0, 7).Select(s => Math.Max(0, (s - 2) / 10.0)), seen, (a, b) => Math.Abs(a - b) < 1e-12);
        run.Trainer.DecayFloor = 0.9;
        Assert.Equal(0.9, run.Trainer.Progress, 12);
    }

    [Fact]
    public void BudgetProgressIsTheClocksShareOfTheWayFromTheStartToTheEnd()
    {
        Assert.Equal(0.5, LearningRateSchedule.BudgetProgress(0, 6, 12), 12);
        Assert.Equal(0.4 + 0.6 * 0.25, LearningRateSchedule.BudgetProgress(0.4, 3, 12), 12);
        Assert.Equal(1, LearningRateSchedule.BudgetProgress(0.4, 30, 12), 12);
        Assert.Equal(0, LearningRateSchedule.BudgetProgress(0.4, 3, 0), 12); // no budget, no floor
        var config = new TrainConfig { Steps = 1000, WarmupSteps = 100, LearningRate = 1e-3, MinLearningRate = 1e-5 };
        Assert.Equal(1e-5 + 0.5 * (1e-3 - 1e-5), LearningRateSchedule.At(config, 200, decayFloor: 0.5), 12);
        Assert.Equal(1e-5, LearningRateSchedule.At(config, 200, decayFloor: 1), 12);
        Assert.Equal(LearningRateSchedule.At(config, 900), LearningRateSchedule.At(config, 900, decayFloor: 0.1), 12); // the steps are further on
        Assert.Equal(1e-3 * 50 / 100, LearningRateSchedule.At(config, 49, decayFloor: 0.9), 12); // warm-up first
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
