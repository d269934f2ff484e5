using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>
/// The three terms of the VDM bound per example, in nats ([B] each): −log p(x|z_0), KL(q(z_1|x) ‖ p(z_1)) and the
/// diffusion term. Their sum bounds −log p(x) when <see cref="IsBound"/> is true.
/// </summary>
public sealed class LossTerms : IDisposable
{
    public LossTerms(Tensor recon, Tensor prior, Tensor diffusion, long dimensions, bool isBound)
    {
        Recon = recon;
        Prior = prior;
        Diffusion = diffusion;
        Dimensions = dimensions;
        IsBound = isBound;
    }

    public Tensor Recon { get; }

    public Tensor Prior { get; }

    public Tensor Diffusion { get; }

    /// <summary>Dimensions D of one example (for bits/dim).</summary>
    public long Dimensions { get; }

    /// <summary>False for the "simple" weighting, which is not a likelihood bound.</summary>
    public bool IsBound { get; }

    /// <summary>Recon + prior + diffusion per example, in nats.</summary>
    public Tensor Total() => Recon + Prior + Diffusion;

    /// <summary>Converts nats per example to bits per dimension: divide by D ln 2.</summary>
    public Tensor ToBitsPerDim(Tensor nats) => nats / (Dimensions * Math.Log(2.0));

    /// <summary>The batch mean of the total in bits/dim: the training objective.</summary>
    public Tensor MeanBitsPerDim() => ToBitsPerDim(Total()).mean();

    /// <summary>Batch means of each term and the total in bits/dim, as plain numbers.</summary>
    public LossSummary Summarise()
    {
        using var scope = NewDisposeScope();
        double Mean(Tensor t) => ToBitsPerDim(t).mean().to(ScalarType.Float64).item<double>();
        return new LossSummary(Mean(Total()), Mean(Recon), Mean(Prior), Mean(Diffusion), IsBound);
    }

    public void Dispose()
    {
        Recon.Dispose();
        Prior.Dispose();
        Diffusion.Dispose();
    }
}

/// <summary>Batch means in bits/dim.</summary>
public sealed record LossSummary(double Total, double Recon, double Prior, double Diffusion, bool IsBound);
