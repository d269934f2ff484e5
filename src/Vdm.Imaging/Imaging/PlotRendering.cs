using ScottPlot.TickGenerators;
using ScottPlot;
using Vdm.Persistence;

namespace Vdm.Imaging;

/// <summary>ScottPlot plumbing shared by <see cref="Plots"/>: labels, log axis, headless PNG output.</summary>
internal static class PlotRendering
{
    public static Plot NewPlot(PlotOptions options, string title, string xLabel, string yLabel)
    {
        options.Validate();
        var plot = new Plot();
        plot.Title(options.Title ?? title);
        plot.XLabel(options.XLabel ?? xLabel);
        plot.YLabel(options.YLabel ?? (options.LogY ? $"{yLabel} (log scale)" : yLabel));
        if (options.LogY) UseLogTicks(plot);
        return plot;
    }

    /// <summary>
    /// ScottPlot 5 has no log axis: data go in as log10(y); ticks are placed at integer powers of ten with
    /// log-spaced minor ticks and labelled with 10^y.
    /// </summary>
    private static void UseLogTicks(Plot plot)
    {
        var ticks = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Left.TickGenerator = ticks;
    }

    /// <summary>Points of (xs, ys) kept for plotting: finite, and positive when the axis is logarithmic (then y → log10 y).</summary>
    public static (double[] Xs, double[] Ys) Prepare(IReadOnlyList<double> xs, IReadOnlyList<double> ys, bool logY)
    {
        if (xs.Count != ys.Count) throw new ArgumentException($"x has {xs.Count} values but y has {ys.Count}");
        var keptX = new List<double>(xs.Count);
        var keptY = new List<double>(ys.Count);
        for (var i = 0; i < xs.Count; i++)
        {
            double x = xs[i], y = ys[i];
            if (!double.IsFinite(x) || !double.IsFinite(y) || (logY && y <= 0)) continue;
            keptX.Add(x);
            keptY.Add(logY ? Math.Log10(y) : y);
        }
        return (keptX.ToArray(), keptY.ToArray());
    }

    /// <summary>Renders in memory, then replaces <paramref name="path"/> atomically; a rendering failure leaves it untouched.</summary>
    public static void SavePng(Plot plot, string path, PlotOptions options)
    {
        var bytes = plot.GetImageBytes(options.Width, options.Height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
