using Vdm.Training;

namespace Vdm.Cli.Rendering;

/// <summary>Runs a training run while showing its progress.</summary>
public interface ITrainingRenderer
{
    TrainingSummary Run(TrainingRun run, CancellationToken cancel);
}

/// <summary>A smoothed bits/dim over recent steps (skipped, non-finite steps left out).</summary>
public sealed class RunningMean(double decay = 0.95)
{
    private double value;
    private double weight;

    public void Add(double x)
    {
        if (!double.IsFinite(x)) return;
        value = decay * value + (1 - decay) * x;
        weight = decay * weight + (1 - decay);
    }

    public double? Value => weight > 0 ? value / weight : null;
}
