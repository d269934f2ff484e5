namespace Vdm.Schedules;

/// <summary>The noise schedule γ(t). Defaults are the VDM paper's (γ_min = −13.3, γ_max = 5).</summary>
public sealed record ScheduleConfig
{
    public ScheduleKind Kind { get; init; } = ScheduleKind.LearnedScalar;

    public double GammaMin { get; init; } = -13.3;

    public double GammaMax { get; init; } = 5.0;

    /// <summary>Hidden units of the monotone network's shape (MonotoneNet only).</summary>
    public int Features { get; init; } = 1024;
}
