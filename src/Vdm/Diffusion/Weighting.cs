namespace Vdm.Diffusion;

/// <summary>How the diffusion term weights ‖ε − ε̂‖² over time.</summary>
public enum Weighting
{
    /// <summary>The variational bound: ½ γ'(t) (continuous) or ½ T expm1(γ_t − γ_s) (discrete). Reportable as bits/dim.</summary>
    Vlb,

    /// <summary>DDPM's L_simple: weight ½ at every t. Not a bound: never report it as bits/dim.</summary>
    Simple,
}
