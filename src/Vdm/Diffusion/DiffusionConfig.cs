namespace Vdm.Diffusion;

/// <summary>The parts of the bound that are choices: data levels, continuous or discrete time, weighting.</summary>
public sealed record DiffusionConfig
{
    /// <summary>Number of levels V of each data dimension (256 for 8-bit images).</summary>
    public int Vocab { get; init; } = 256;

    /// <summary>Number of diffusion steps T of the discrete-time bound; 0 for continuous time (T = ∞).</summary>
    public int TimeSteps { get; init; }

    public Weighting Weighting { get; init; } = Weighting.Vlb;

    /// <summary>The bias b of <see cref="Weighting.Sigmoid"/>: the log-SNR λ at which the weight is ½.</summary>
    public double WeightingBias { get; init; } = 2.0;

    /// <summary>How much <see cref="WeightingBias"/> grows over training: the bias at training progress p ∈ [0, 1] (the
    /// learning-rate decay's progress, set by the trainer) is b + p × growth, so training
    /// starts on the noise levels that decide an image's shape and moves towards the bound itself (a larger b weights
    /// more of the high log-SNR levels fully; docs/main-job.md). 0 = a constant bias.</summary>
    public double WeightingBiasGrowth { get; init; }

    /// <summary>The sigmoid weighting's bias at training progress <paramref name="progress"/> (clamped to [0, 1]).</summary>
    public double WeightingBiasAt(double progress) => WeightingBias + WeightingBiasGrowth * Math.Clamp(progress, 0, 1);

    /// <summary>Low-discrepancy time sampling t_i = (u + i/B) mod 1 (VDM Appendix I.1) instead of i.i.d. uniform.</summary>
    public bool Antithetic { get; init; } = true;
}
