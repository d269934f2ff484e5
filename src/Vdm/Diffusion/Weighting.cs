namespace Vdm.Diffusion;

/// <summary>How training weights ‖ε − ε̂‖² over noise levels. Whatever the choice, the loss terms also carry the
/// bound's own diffusion term, so bits/dim are always the bound's.</summary>
public enum Weighting
{
    /// <summary>The variational bound: ½ γ'(t) (continuous) or ½ T expm1(γ_t − γ_s) (discrete).</summary>
    Vlb,

    /// <summary>DDPM's L_simple: weight ½ at every t. Not a bound.</summary>
    Simple,

    /// <summary>The bound's weight times w(λ_t) = sigmoid(b − λ_t) = sigmoid(b + γ_t), with λ = −γ the log-SNR and b
    /// <see cref="DiffusionConfig.WeightingBias"/> (Kingma and Gao, 2023, "Understanding diffusion objectives as the
    /// ELBO with simple data augmentation"). w is monotone in λ, so the objective is the bound of the data under Gaussian
    /// noise augmentation (their result); it moves effort from the high-SNR end, where the bound's bits go to
    /// imperceptible detail, to the noise levels that shape the samples.</summary>
    Sigmoid,
}
