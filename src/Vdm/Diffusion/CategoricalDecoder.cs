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
        var g = VarianceTerms.PerExample(gamma0, z0.dim());
        var rescaled = (z0 / VarianceTerms.Alpha(g)).unsqueeze(-1);
        var levels = ForwardProcess.Encode(arange(vocab, device: z0.device), vocab, z0.dtype);
        // σ²/α² = exp(γ): the variance of z_0/α_0 around f.
        var precision = (-g).exp().unsqueeze(-1);
        return (-0.5 * precision * (rescaled - levels).square()).MoveToOuterDisposeScope();
    }

    /// <summary>log p(x | z_0) per dimension, shaped like x.</summary>
    public static Tensor LogProb(Tensor x, Tensor z0, Tensor gamma0, int vocab)
    {
        using var scope = NewDisposeScope();
        var logp = Logits(z0, gamma0, vocab).log_softmax(-1);
        return logp.gather(-1, x.to(ScalarType.Int64).unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
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
