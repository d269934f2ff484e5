using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// An exponential moving average of a module's parameters, with the warm-up decay min(d, (1 + n)/(10 + n)) so that
/// short runs are not dominated by the random initial weights: with a fixed decay of 0.999, 0.999^1670 ≈ 19% of
/// the average is still the initial weights after 1,670 steps.
/// </summary>
public sealed class Ema : IDisposable
{
    private readonly (string Name, Tensor Shadow)[] shadows;

    public Ema(nn.Module module, double decay)
    {
        Decay = decay;
        using var noGrad = no_grad();
        shadows = module.named_parameters()
            .Select(p => (p.name, p.parameter.detach().clone().DetachFromDisposeScope()))
            .ToArray();
    }

    public double Decay { get; }

    /// <summary>Number of updates so far.</summary>
    public long Updates { get; set; }

    public double EffectiveDecay(long updates) => Math.Min(Decay, (1.0 + updates) / (10.0 + updates));

    /// <summary>shadow ← d·shadow + (1 − d)·param.</summary>
    public void Update(nn.Module module)
    {
        using var noGrad = no_grad();
        double d = EffectiveDecay(Updates);
        // Explicit Scalars, alive until their Dispose after the loop. An implicit double → Scalar is unreachable as soon
        // as TorchSharp has read its handle, so its finalizer can free the native Scalar while the op still reads it:
        // libtorch then throws "Expected false to be true" from Scalar::toDouble, or computes with a garbage value.
        // A probe with a thread forcing GC beside 4.7 million such updates measured 1,231 failures implicitly and none
        // with explicit Scalars (EmaTests.UpdateSurvivesFinalizersRunningBesideIt).
        using var decay = d.ToScalar();
        using var weight = (1 - d).ToScalar();
        var parameters = module.parameters().ToArray();
        for (int i = 0; i < shadows.Length; i++)
            shadows[i].Shadow.mul_(decay).add_(parameters[i], alpha: weight);
        Updates++;
    }

    /// <summary>The averaged tensors by parameter name (for checkpoints).</summary>
    public IReadOnlyList<(string Name, Tensor Shadow)> Shadows => shadows;

    /// <summary>Copies the averages into the module's parameters.</summary>
    public void CopyTo(nn.Module module)
    {
        using var noGrad = no_grad();
        var parameters = module.parameters().ToArray();
        for (int i = 0; i < shadows.Length; i++) parameters[i].copy_(shadows[i].Shadow);
    }

    /// <summary>Exchanges the module's parameters with the averages (call twice to restore).</summary>
    public void Swap(nn.Module module)
    {
        using var noGrad = no_grad();
        var parameters = module.parameters().ToArray();
        for (int i = 0; i < shadows.Length; i++)
        {
            using var online = parameters[i].detach().clone();
            parameters[i].copy_(shadows[i].Shadow);
            shadows[i].Shadow.copy_(online);
        }
    }

    public void Dispose()
    {
        foreach (var (_, shadow) in shadows) shadow.Dispose();
    }
}
