using TorchSharp;
using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Tests.Support;

/// <summary>
/// The exact optimal denoiser for data drawn uniformly from K fixed images: the posterior over the K images given
/// z_t is a softmax of −‖z − α f_k‖² / (2σ²), E[f | z] is the posterior mean, and ε̂ = (z − α E[f | z]) / σ.
/// </summary>
internal sealed class KPointOracle : Denoiser
{
    private readonly Tensor points; // [K, D], encoded values f_k

    public KPointOracle(Tensor encodedPoints) : base(nameof(KPointOracle))
    {
        points = encodedPoints.reshape(encodedPoints.shape[0], -1).to(ScalarType.Float64).DetachFromDisposeScope();
    }

    public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var batch = z.shape[0];
        var zf = z.reshape(batch, -1).to(ScalarType.Float64);
        var g = gamma.to(ScalarType.Float64).reshape(batch, 1);
        var alpha = VarianceTerms.Alpha(g);
        var sigma2 = VarianceTerms.Sigma2(g);
        var distance2 = (zf.unsqueeze(1) - alpha.unsqueeze(1) * points.unsqueeze(0)).square().sum(-1); // [B, K]
        var posterior = (-distance2 / (2 * sigma2)).softmax(1);
        var fHat = posterior.matmul(points);
        var eps = (zf - alpha * fHat) / sigma2.sqrt();
        return eps.reshape(z.shape).to(z.dtype).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) points.Dispose();
        base.Dispose(disposing);
    }
}
