namespace Vdm.Training;

/// <summary>Optimisation settings of a run. Serialised next to every checkpoint.</summary>
public sealed record TrainConfig
{
    /// <summary>Number of optimiser steps in all (a resumed run continues to this count).</summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Optional wall-clock budget in minutes for one invocation (0 = none).</summary>
    public double Minutes { get; init; }

    public int BatchSize { get; init; } = 64;

    /// <summary>Peak learning rate of AdamW.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Linear warm-up from 0 to the peak over this many steps.</summary>
    public int WarmupSteps { get; init; } = 200;

    /// <summary>Cosine decay from the peak (after warm-up) to <see cref="MinLearningRate"/> at the last step.</summary>
    public bool CosineDecay { get; init; } = true;

    public double MinLearningRate { get; init; } = 1e-5;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.99;

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Clip the global gradient norm to this value (0 = no clipping).</summary>
    public double GradClip { get; init; } = 1.0;

    /// <summary>Target EMA decay; the effective decay is min(d, (1 + step)/(10 + step)) so early averages forget the random start.</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Probability of replacing a label by the null class (classifier-free guidance); class-conditional models only.</summary>
    public double LabelDropout { get; init; } = 0.1;

    public long Seed { get; init; } = 1;

    /// <summary>Intra-op threads for libtorch (0 = libtorch's default).</summary>
    public int Threads { get; init; }

    /// <summary>Stop after this many consecutive steps with a non-finite loss or gradient.</summary>
    public int MaxNonFiniteSteps { get; init; } = 20;

    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(Steps >= 0, $"steps must be ≥ 0 (got {Steps})");
        Require(Minutes >= 0, $"minutes must be ≥ 0 (got {Minutes})");
        Require(BatchSize >= 1, $"batch size must be ≥ 1 (got {BatchSize})");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"learning rate must be > 0 (got {LearningRate})");
        ConfigLimits.AtMost("learning rate", LearningRate, ConfigLimits.MaxLearningRate);
        Require(WarmupSteps >= 0, $"warm-up steps must be ≥ 0 (got {WarmupSteps})");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, $"min learning rate must be in [0, lr] (got {MinLearningRate})");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, $"betas must be in [0, 1) (got {Beta1}, {Beta2})");
        Require(WeightDecay >= 0, $"weight decay must be ≥ 0 (got {WeightDecay})");
        Require(GradClip >= 0, $"gradient clip must be ≥ 0 (got {GradClip})");
        Require(EmaDecay is >= 0 and < 1, $"EMA decay must be in [0, 1) (got {EmaDecay})");
        Require(LabelDropout is >= 0 and <= 1, $"label dropout must be in [0, 1] (got {LabelDropout})");
        Require(Threads >= 0, $"threads must be ≥ 0 (got {Threads})");
        Require(MaxNonFiniteSteps >= 1, $"max non-finite steps must be ≥ 1 (got {MaxNonFiniteSteps})");
    }
}
