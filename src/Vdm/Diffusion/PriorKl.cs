using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>The prior term KL(q(z_1 | x) ‖ N(0, I)) = ½ Σ (α²_1 f² + σ²_1 − log σ²_1 − 1), per example.</summary>
public static class PriorKl
{
    public static Tensor Compute(Tensor f, Tensor gamma1)
    {
        using var scope = NewDisposeScope();
        var g = VarianceTerms.PerExample(gamma1, f.dim());
        var kl = 0.5 * (VarianceTerms.Alpha2(g) * f.square() + VarianceTerms.Sigma2(g) - VarianceTerms.LogSigma2(g) - 1.0);
        return Reductions.SumPerExample(kl).MoveToOuterDisposeScope();
    }
}
