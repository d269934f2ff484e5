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

    /// <summary>Low-discrepancy time sampling t_i = (u + i/B) mod 1 (VDM Appendix I.1) instead of i.i.d. uniform.</summary>
    public bool Antithetic { get; init; } = true;
}
