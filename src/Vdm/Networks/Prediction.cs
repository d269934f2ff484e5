namespace Vdm.Networks;

/// <summary>What the network's raw output stands for; <see cref="Diffusion.Parameterization"/> turns each into ε̂.</summary>
public enum Prediction
{
    /// <summary>The noise ε (the paper's default).</summary>
    Eps,

    /// <summary>The clean signal x (in the encoded [-1, 1] space).</summary>
    X,

    /// <summary>The velocity v = α ε − σ x (Salimans and Ho, 2022).</summary>
    V,
}
