namespace Vdm.Evaluation;

/// <summary>How to estimate the bound on a dataset.</summary>
public sealed record EvalOptions
{
    /// <summary>Examples to use from the start of the split (0 = all).</summary>
    public int Examples { get; init; }

    /// <summary>Independent (t, ε) draws per example; their mean is the example's estimate.</summary>
    public int TimeSamples { get; init; } = 1;

    public int BatchSize { get; init; } = 256;

    public long Seed { get; init; }

    /// <summary>Evaluate the discrete-time bound with this many steps instead of the model's own setting.</summary>
    public int? TimeSteps { get; init; }
}

/// <summary>The bound in bits/dim on a dataset: total with its standard error, and each term.</summary>
public sealed record EvalResult(double BitsPerDim, double StdErr, double Recon, double Prior, double Diffusion, int Examples, int TimeSamples, int? TimeSteps);
