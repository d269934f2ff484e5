namespace Vdm.Sampling;

public enum SamplerKind
{
    /// <summary>VDM's ancestral sampler (stochastic, ~1000 steps).</summary>
    Ancestral,

    /// <summary>Deterministic DDIM (η = 0, ~50 steps).</summary>
    Ddim,
}
