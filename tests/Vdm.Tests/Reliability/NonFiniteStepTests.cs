using Vdm.Persistence;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Non-finite loss or gradients, injected through <see cref="Trainer.LossHook"/>: the step is skipped (no optimiser
/// or EMA update) and counted in the metrics (<c>skipped_total</c>); after <see cref="TrainConfig.MaxNonFiniteSteps"/>
/// in a row the run stops with a checkpoint of the last good state, which holds only finite numbers.
/// </summary>
[Trait("Category", "Fault")]
public sealed class NonFiniteStepTests(ITestOutputHelper output) : IDisposable
{
    private readonly SmallRun fixture = new();

    private static float[] Flat(TrainingRun run) => [.. run.Model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    /// <summary>NaN loss on chosen steps (the hook sees the step about to be taken as <c>Trainer.Step + 1</c>).</summary>
    private static Func<Tensor, Tensor> NaNLossOn(Trainer trainer, Func<long, bool> when) =>
        loss => when(trainer.Step + 1) ? loss * float.NaN : loss;

    /// <summary>Finite loss whose gradient is NaN: d sqrt(u)/du at u = 0 is infinite, times du/dθ = 0.</summary>
    private static Func<Tensor, Tensor> NaNGradientOn(Trainer trainer, Func<long, bool> when) =>
        loss => when(trainer.Step + 1) ? loss + (trainer.Model.parameters().First() * 0).sum().sqrt() : loss;

    [Fact]
    public void ScatteredNonFiniteStepsAreSkippedCountedAndTheRunSurvives()
    {
        var dir = fixture.Dir("scattered");
        var nanLoss = new HashSet<long> { 3, 4, 9 };
        var nanGrad = new HashSet<long> { 12, 15 };
        var skipped = new List<long>();
        using (var run = TrainingRun.Create(dir, SmallRun.Config(20, maxNonFinite: 3), fixture.Train, fixture.Test))
        {
            var lossHook = NaNLossOn(run.Trainer, nanLoss.Contains);
            var gradHook = NaNGradientOn(run.Trainer, nanGrad.Contains);
            run.Trainer.LossHook = l => gradHook(lossHook(l));
            var summary = run.Run(new SyncProgress<TrainingEvent>(e =>
            {
                if (e is StepEvent { Result.Skipped: true } s) skipped.Add(s.Result.Step);
            }), stopAtStep: 20);
            Assert.False(summary.Diverged);
            Assert.Equal(20, summary.Step);
            Assert.Equal(5, run.Trainer.NonFiniteTotal);
            Assert.All(Flat(run), v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal([3, 4, 9, 12, 15], skipped);
        var metrics = MetricsLog.Read(new RunFolder(dir).MetricsPath).Where(r => r.Kind == "train").ToList();
        Assert.Equal(2, metrics.Single(r => r.Step == 4).Values["skipped_total"]);
        Assert.Equal(5, metrics.Single(r => r.Step == 20).Values["skipped_total"]);
        Assert.False(metrics.Single(r => r.Step == 12).Values.ContainsKey("grad_norm"), "a NaN gradient norm is logged as text, not as a number");
        output.WriteLine($"injected: NaN loss at steps {string.Join(", ", nanLoss)}, NaN gradient at {string.Join(", ", nanGrad)}; skipped and counted: {string.Join(", ", skipped)}; run finished 20 steps");
    }

    [Fact]
    public void SkippedStepsLeaveWeightsAndEmaUntouched()
    {
        using var run = TrainingRun.Create(fixture.Dir("untouched"), SmallRun.Config(20), fixture.Train, fixture.Test);
        run.Run(stopAtStep: 5);
        var weights = Flat(run);
        var ema = run.Trainer.Ema.Shadows.SelectMany(s => s.Shadow.data<float>().ToArray()).ToArray();
        var emaUpdates = run.Trainer.Ema.Updates;
        run.Trainer.LossHook = NaNLossOn(run.Trainer, _ => true);
        run.Run(stopAtStep: 8);
        Assert.Equal(weights, Flat(run));
        Assert.Equal(ema, run.Trainer.Ema.Shadows.SelectMany(s => s.Shadow.data<float>().ToArray()).ToArray());
        Assert.Equal(emaUpdates, run.Trainer.Ema.Updates);
        Assert.Equal(3, run.Trainer.NonFiniteInARow);
    }

    [Fact]
    public void TooManyInARowStopsTheRunWithACheckpointOfTheLastGoodState()
    {
        var dir = fixture.Dir("diverged");
        float[] lastGood;
        TrainingSummary summary;
        using (var run = TrainingRun.Create(dir, SmallRun.Config(100, checkpointEvery: 50, maxNonFinite: 4), fixture.Train, fixture.Test))
        {
            run.Trainer.LossHook = NaNLossOn(run.Trainer, step => step > 7);
            run.Run(stopAtStep: 7);
            lastGood = Flat(run);
            summary = run.Run();
            Assert.True(summary.Diverged);
            Assert.Equal(7 + 4, summary.Step);
            Assert.Equal(lastGood, Flat(run));
        }
        Assert.EndsWith(Checkpoint.FileName(11), summary.LastCheckpoint);
        // The checkpoint holds the last good weights, all finite, and resumes.
        using var resumed = TrainingRun.Resume(dir, fixture.Train, fixture.Test);
        Assert.Equal(11, resumed.Step);
        Assert.Equal(4, resumed.Trainer.NonFiniteTotal);
        Assert.Equal(lastGood, Flat(resumed));
        Assert.All(Flat(resumed), v => Assert.True(float.IsFinite(v)));
        output.WriteLine($"NaN loss from step 8 on, MaxNonFiniteSteps = 4: stopped at step {summary.Step} (diverged), checkpoint {Path.GetFileName(summary.LastCheckpoint)} = weights of step 7");
    }

    public void Dispose() => fixture.Dispose();
}
