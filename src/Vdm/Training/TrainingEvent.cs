using Vdm.Evaluation;

namespace Vdm.Training;

/// <summary>What a run reports while it trains; the CLI renders these (the library prints nothing).</summary>
public abstract record TrainingEvent;

/// <param name="ImagesPerSecond">Global: all processes of a data-parallel run together.</param>
/// <param name="WorldSize">Processes training together.</param>
/// <param name="AllReduceSeconds">Time this process spent in the gradient all-reduce since the run (re)started.</param>
public sealed record StepEvent(StepResult Result, double ImagesPerSecond, TimeSpan Elapsed, TimeSpan? Eta, long TotalSteps, int WorldSize = 1, double AllReduceSeconds = 0) : TrainingEvent;

public sealed record EvalEvent(EvalResult Result, long Step) : TrainingEvent;

public sealed record SamplesEvent(string Path, long Step) : TrainingEvent;

public sealed record CheckpointEvent(string Path, long Step) : TrainingEvent;

public sealed record MessageEvent(string Text) : TrainingEvent;

/// <summary>How a call to <see cref="TrainingRun.Run"/> ended.</summary>
public sealed record TrainingSummary(long Step, bool Cancelled, bool Diverged, string? LastCheckpoint, EvalResult? FinalEval, string? LastSamples)
{
    /// <summary>The final samples as the dataset's classifier reads them (<see cref="RunConfig.FinalSampleQuality"/>); null when not asked for.</summary>
    public SampleQualityResult? FinalSampleQuality { get; init; }
}
