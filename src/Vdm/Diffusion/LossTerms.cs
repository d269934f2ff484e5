using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>
/// The three terms of the VDM bound per example, in nats ([B] each): −log p(x|z_0), KL(q(z_1|x) ‖ p(z_1)) and the
/// diffusion term; their sum bounds −log p(x). When training uses another weighting of the diffusion term
/// (<see cref="Weighting"/>), <see cref="DiffusionObjective"/> holds that weighted term, computed from the same
/// ‖ε − ε̂‖², and <see cref="IsBound"/> is false: the objective is then not the bound, but the bound is still here.
/// </summary>
public sealed class LossTerms : IDisposable
{
    /// <param name="diffusionObjective">The diffusion term training minimises when it is not the bound's; null when it is.</param>
    /// <param name="shapeScale">The factors of the schedule shape's gradient (a schedule that minimises variance), which
    /// the backward pass reads: owned by these terms, so call backward before disposing them.</param>
    public LossTerms(Tensor recon, Tensor prior, Tensor diffusion, long dimensions, Tensor? diffusionObjective = null, IDisposable? shapeScale = null)
    {
        this.shapeScale = shapeScale;
        Recon = recon;
        Prior = prior;
        Diffusion = diffusion;
        Dimensions = dimensions;
        DiffusionObjective = diffusionObjective ?? diffusion;
        IsBound = diffusionObjective is null;
    }

    private readonly IDisposable? shapeScale;

    public Tensor Recon { get; }

    public Tensor Prior { get; }

    /// <summary>The bound's diffusion term (eq. 17 continuous, eq. 13 discrete).</summary>
    public Tensor Diffusion { get; }

    /// <summary>The diffusion term that training minimises: <see cref="Diffusion"/> itself unless a weighting is chosen.</summary>
    public Tensor DiffusionObjective { get; }

    /// <summary>Dimensions D of one example (for bits/dim).</summary>
    public long Dimensions { get; }

    /// <summary>True when the training objective is the bound itself.</summary>
    public bool IsBound { get; }

    /// <summary>The bound: recon + prior + diffusion per example, in nats.</summary>
    public Tensor Total() => Recon + Prior + Diffusion;

    /// <summary>What training minimises: recon + prior + the (possibly weighted) diffusion term, per example, in nats.</summary>
    public Tensor Objective() => IsBound ? Total() : Recon + Prior + DiffusionObjective;

    /// <summary>Converts nats per example to bits per dimension: divide by D ln 2.</summary>
    public Tensor ToBitsPerDim(Tensor nats) => nats / (Dimensions * Math.Log(2.0));

    /// <summary>The batch mean of the bound in bits/dim.</summary>
    public Tensor MeanBitsPerDim() => ToBitsPerDim(Total()).mean();

    /// <summary>The batch mean of the training objective, in bits/dim when it is the bound.</summary>
    public Tensor MeanObjective() => ToBitsPerDim(Objective()).mean();

    /// <summary>Batch means of each term of the bound, the bound and the objective, as plain numbers.</summary>
    public LossSummary Summarise()
    {
        using var scope = NewDisposeScope();
        double Mean(Tensor t) => ToBitsPerDim(t).mean().to(ScalarType.Float64).item<double>();
        var total = Mean(Total());
        return new LossSummary(total, Mean(Recon), Mean(Prior), Mean(Diffusion), IsBound ? total : Mean(Objective()), IsBound);
    }

    public void Dispose()
    {
        Recon.Dispose();
        Prior.Dispose();
        Diffusion.Dispose();
        if (!IsBound) DiffusionObjective.Dispose();
        shapeScale?.Dispose();
    }
}

/// <summary>Batch means in bits/dim: the bound (<see cref="Total"/>) and its terms, and the training objective
/// (equal to the bound when <see cref="IsBound"/>).</summary>
public sealed record LossSummary(double Total, double Recon, double Prior, double Diffusion, double Objective, bool IsBound);
