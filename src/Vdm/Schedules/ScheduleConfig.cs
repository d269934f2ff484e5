namespace Vdm.Schedules;

/// <summary>The noise schedule γ(t). Defaults are the VDM paper's (γ_min = −13.3, γ_max = 5).</summary>
public sealed record ScheduleConfig
{
    public ScheduleKind Kind { get; init; } = ScheduleKind.LearnedScalar;

    public double GammaMin { get; init; } = -13.3;

    public double GammaMax { get; init; } = 5.0;

    /// <summary>Hidden units of the monotone network's shape (MonotoneNet only).</summary>
    public int Features { get; init; } = 1024;

    /// <summary>
    /// MonotoneNet only: train the schedule's shape to minimise the variance of the diffusion-loss estimate,
    /// d E[L²]/dη = E[2 L dL/dη], while the endpoints follow the bound (VDM Appendix I.2). Continuous time and the
    /// bound as objective only (in discrete time, or with a weighting, the shape is part of what is minimised).
    /// </summary>
    public bool MinimiseVariance { get; init; }
}
