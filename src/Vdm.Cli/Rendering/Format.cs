using System.Globalization;
using Vdm.Networks;
using Vdm.Schedules;

namespace Vdm.Cli.Rendering;

/// <summary>Number and name formatting shared by the verbs (invariant culture).</summary>
public static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Bpd(double value) => value.ToString("0.0000", Inv);

    public static string Short(double value) => value.ToString("0.###", Inv);

    public static string Lr(double value) => value.ToString("0.0e+00", Inv);

    public static string Rate(double value) => value.ToString(value >= 100 ? "0" : "0.0", Inv);

    public static string Duration(TimeSpan? span)
    {
        if (span is not { } s) return "--:--";
        return s.TotalHours >= 1 ? $"{(int)s.TotalHours}:{s.Minutes:D2}:{s.Seconds:D2}" : $"{s.Minutes:D2}:{s.Seconds:D2}";
    }

    public static string Network(NetworkKind kind) => kind switch
    {
        NetworkKind.VdmUNet => "VDM U-Net",
        NetworkKind.MultiResUNet => "multi-resolution U-Net",
        NetworkKind.Mlp => "MLP",
        _ => kind.ToString(),
    };

    public static string Schedule(ScheduleKind kind) => kind switch
    {
        ScheduleKind.FixedLinear => "fixed linear",
        ScheduleKind.LearnedScalar => "learned scalar",
        ScheduleKind.MonotoneNet => "learned monotone",
        _ => kind.ToString(),
    };
}
