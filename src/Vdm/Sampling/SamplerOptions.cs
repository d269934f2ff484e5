namespace Vdm.Sampling;

/// <summary>Options shared by the samplers.</summary>
public sealed record SamplerOptions
{
    /// <summary>Number of reverse steps (1000 for the ancestral sampler, ~50 for DDIM).</summary>
    public int Steps { get; init; } = 1000;

    public long Seed { get; init; }

    /// <summary>Global index of the first sample (for sharded sampling: sample i depends on (Seed, i) only).</summary>
    public long FirstIndex { get; init; }

    /// <summary>Classifier-free guidance weight w (0 = none); needs a class-conditional model.</summary>
    public double GuidanceScale { get; init; }

    /// <summary>Decode z_0 by drawing from p(x|z_0) instead of taking its most likely value.</summary>
    public bool SampleDecoder { get; init; }

    /// <summary>
    /// Clip each step's x̂ to the data's range [−1, 1] and step from the ε̂ it implies (Parameterization.ClipToData), in
    /// both samplers. Off, the ancestral sampler draws from the model's own p(z_s | z_t) (VDM eq. 32) exactly.
    /// </summary>
    public bool ClipDenoised { get; init; } = true;

    /// <summary>Number of classes of the model (its null class index), needed with guidance.</summary>
    public int NumClasses { get; init; }
}

/// <summary>What a sampler reports after each step: the step index, the time it reached, and z at that time.</summary>
public delegate void SamplerObserver(int step, double t, TorchSharp.torch.Tensor z);
