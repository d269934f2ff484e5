namespace Vdm.Schedules;

public enum ScheduleKind
{
    /// <summary>γ(t) = γ_min + (γ_max − γ_min) t, nothing learned.</summary>
    FixedLinear,

    /// <summary>γ(t) = b + |w| t, endpoints learned by the bound.</summary>
    LearnedScalar,

    /// <summary>Learned endpoints times a learned monotone shape (the paper's "NNet" schedule).</summary>
    MonotoneNet,
}
