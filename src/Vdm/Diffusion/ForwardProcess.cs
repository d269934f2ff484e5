using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>The fixed forward (encoding) process q(z_t | x) of a variance-preserving diffusion.</summary>
public static class ForwardProcess
{
    /// <summary>Maps integer data x ∈ {0..V−1} to f = 2 (x + ½)/V − 1 ∈ (−1, 1): the centre of each level's bin.</summary>
    public static Tensor Encode(Tensor x, int vocab, ScalarType dtype = ScalarType.Float32) =>
        (x.to(dtype) + 0.5) * (2.0 / vocab) - 1.0;

    /// <summary>z_t = α_t f + σ_t ε (VDM eq. 1), with γ_t given per example ([B]).</summary>
    public static Tensor Diffuse(Tensor f, Tensor gamma, Tensor eps)
    {
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma, f.dim());
        return (VarianceTerms.Alpha(g) * f + VarianceTerms.Sigma(g) * eps).MoveToOuterDisposeScope();
    }
}
