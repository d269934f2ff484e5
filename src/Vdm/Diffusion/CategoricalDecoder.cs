using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>
/// The decoder p(x | z_0) of VDM (Appendix C, eq. 29): each dimension independently, a categorical over the V
/// levels whose logits are the Gaussian log-densities of z_0/α_0 around each level's encoded value f_v,
/// −(z_0/α_0 − f_v)² / (2 σ²_0/α²_0). Exact for discrete data.
/// </summary>
public static class CategoricalDecoder
{
    /// <summary>Logits [..., V] for z_0 [B, ...] given γ_0 per example ([B]).</summary>
    public static Tensor Logits(Tensor z0, Tensor gamma0, int vocab)
    {
        using var scope = NewDisposeScope();
        var (rescaled, precision) = Rescale(z0, gamma0);
        var levels = ForwardProcess.Encode(arange(vocab, device: z0.device), vocab, z0.dtype);
        return LevelLogits(rescaled.unsqueeze(-1), precision.unsqueeze(-1), levels).MoveToOuterDisposeScope();
    }

    /// <summary>z_0/α_0 and the precision of its Gaussian around f: σ²/α² = exp(γ_0), so the precision is exp(−γ_0).</summary>
    private static (Tensor Rescaled, Tensor Precision) Rescale(Tensor z0, Tensor gamma0)
    {
        var g = VarianceTerms.PerExample(gamma0, z0.dim());
        return (z0 / VarianceTerms.Alpha(g), (-g).exp());
    }

    /// <summary>−½ precision (z_0/α_0 − f)², the unnormalised log-density of the level encoded as f.</summary>
    private static Tensor LevelLogits(Tensor rescaled, Tensor precision, Tensor levels) => -0.5 * precision * (rescaled - levels).square();

    /// <summary>
    /// log p(x | z_0) per dimension, shaped like x: the logit of x minus the log-sum-exp of all V logits, where the sum
    /// runs over the <see cref="WindowHalfWidth"/> levels either side of the level nearest z_0/α_0 instead of all V.
    /// The levels left out each weigh at most e^−40 of the nearest one's, so the result is the full sum's in float32;
    /// the full [B, ..., V] logits cost half of a default training step (docs/performance.md), the window a few percent.
    /// </summary>
    public static Tensor LogProb(Tensor x, Tensor z0, Tensor gamma0, int vocab)
    {
        using var scope = NewDisposeScope();
        int half = WindowHalfWidth(gamma0, vocab);
        if (2 * half + 1 >= vocab)
        {
            var logp = Logits(z0, gamma0, vocab).log_softmax(-1);
            return logp.gather(-1, x.to(ScalarType.Int64).unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
        }
        var (rescaled, precision) = Rescale(z0, gamma0);
        var logitOfX = LevelLogits(rescaled, precision, ForwardProcess.Encode(x, vocab, z0.dtype));
        // Window [c − h, c + h] around the nearest level c, moved inside [0, V − 1] at the edges (it then still holds
        // every level within h of c). Level v is encoded as (v + ½)·2/V − 1 (ForwardProcess.Encode).
        Tensor first;
        using (no_grad())
            first = (((rescaled + 1) * (vocab / 2.0) - 0.5).round().clamp(half, vocab - 1 - half) - half).to(ScalarType.Int64);
        var index = first.unsqueeze(-1) + arange(2 * half + 1, dtype: ScalarType.Int64, device: z0.device);
        var logits = LevelLogits(rescaled.unsqueeze(-1), precision.unsqueeze(-1), ForwardProcess.Encode(index, vocab, z0.dtype));
        return (logitOfX - logits.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The half-width h of the window of levels <see cref="LogProb"/> sums over: the smallest h whose first level left
    /// out, h + 1 steps from the nearest one, has a logit at least 40 below the nearest's for every example. With
    /// a = ½ e^−γ₀ Δ² (Δ = 2/V, the largest γ₀ of the batch), the level k steps away is at least (k − ½)Δ from z_0/α_0
    /// and the nearest at most Δ/2, so the gap is at least a((k − ½)² − ¼) = a k(k − 1); h(h + 1) ≥ 40/a. At γ₀ = −13.3
    /// and V = 256, h = 2.
    /// </summary>
    public static int WindowHalfWidth(Tensor gamma0, int vocab)
    {
        // A tensor on the meta device has a shape but no values: the sum over all levels then, which needs none.
        if (gamma0.device_type == TorchSharp.DeviceType.META) return vocab;
        double largest;
        using (no_grad()) largest = gamma0.detach().max().to(ScalarType.Float64).cpu().item<double>();
        double step = 2.0 / vocab, a = 0.5 * Math.Exp(-largest) * step * step;
        if (!double.IsFinite(a) || a <= 0) return vocab;
        double h = Math.Ceiling((-1 + Math.Sqrt(1 + 160 / a)) / 2);
        return h >= vocab ? vocab : Math.Max(1, (int)h);
    }

    /// <summary>Decodes z_0 to integers in {0..V−1}: the most likely level, or a draw from the categorical.</summary>
    public static Tensor Decode(Tensor z0, Tensor gamma0, int vocab, bool sample = false, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var logits = Logits(z0, gamma0, vocab);
        Tensor levels;
        if (!sample)
        {
            levels = logits.argmax(-1);
        }
        else
        {
            // Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits).
            var u = DeviceRandom.Uniform(logits.shape, logits.dtype, logits.device, generator).clamp(1e-20, 1.0);
            levels = (logits - (-u.log()).log()).argmax(-1);
        }
        return levels.to(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}
