namespace Vdm.Schedules;

/// <summary>
/// The range [γ_min, γ_max] of a schedule (and of the networks' γ input, which is scaled by it). γ is increasing in t
/// (the SNR exp(−γ) decreases in t, VDM eqs. 3–4), so γ_max must exceed γ_min; both must be finite numbers.
/// </summary>
public static class GammaRange
{
    /// <summary>Throws <see cref="ArgumentException"/> naming both values (and <paramref name="what"/>) when the range is not one.</summary>
    public static void Check(double gammaMin, double gammaMax, string what = "gamma")
    {
        if (!double.IsFinite(gammaMin) || !double.IsFinite(gammaMax))
            throw new ArgumentException($"{what} min and max must be finite (got {gammaMin}, {gammaMax})");
        if (!(gammaMax > gammaMin))
            throw new ArgumentException($"{what} max ({gammaMax}) must exceed {what} min ({gammaMin})");
    }
}
