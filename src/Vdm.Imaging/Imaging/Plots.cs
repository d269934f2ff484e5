using ScottPlot;

namespace Vdm.Imaging;

/// <summary>
/// Training and schedule figures as PNG files (ScottPlot, rendered headless). Inputs are plain arrays; every
/// function renders in memory and replaces its target file atomically.
/// </summary>
public static class Plots
{
    /// <summary>
    /// One line per series over training steps (e.g. total bits/dim, recon, prior, diffusion, test bits/dim),
    /// series in order of first appearance.
    /// </summary>
    public static void LossCurves(string path, IEnumerable<LossRecord> records, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        options ??= new PlotOptions();
        using var plot = PlotRendering.NewPlot(options, "Training", "step", "bits/dim");
        var series = new Dictionary<string, (List<double> Steps, List<double> Values)>();
        var order = new List<string>();
        foreach (var record in records.OrderBy(r => r.Step))
            foreach (var (name, value) in record.Values)
            {
                if (!series.TryGetValue(name, out var s))
                {
                    series[name] = s = ([], []);
                    order.Add(name);
                }
                s.Steps.Add(record.Step);
                s.Values.Add(value);
            }

        foreach (var name in order)
        {
            var (xs, ys) = PlotRendering.Prepare(series[name].Steps, series[name].Values, options.LogY);
            if (xs.Length == 0) continue;
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = name;
            line.MarkerSize = xs.Length == 1 ? 5 : 0; // a lone point would be invisible as a line
        }
        if (order.Count > 0) plot.ShowLegend(Edge.Right); // outside the data area: never hides a curve
        PlotRendering.SavePng(plot, path, options);
    }

    /// <summary>γ(t) and log-SNR(t) = −γ(t) for t ∈ [0, 1], on one axis (both in nats).</summary>
    public static void Schedule(string path, double[] t, double[] gamma, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(gamma);
        options ??= new PlotOptions();
        if (options.LogY) throw new ArgumentException("γ(t) takes both signs: a log axis does not apply", nameof(options));
        using var plot = PlotRendering.NewPlot(options, "Noise schedule", "t", "value");
        var (xs, ys) = PlotRendering.Prepare(t, gamma, logY: false);
        var g = plot.Add.Scatter(xs, ys);
        g.LegendText = "γ(t)";
        g.MarkerSize = 0;
        var snr = plot.Add.Scatter(xs, ys.Select(v => -v).ToArray());
        snr.LegendText = "log-SNR(t) = −γ(t)";
        snr.MarkerSize = 0;
        plot.Add.HorizontalLine(0, width: 1, color: Colors.Gray, pattern: LinePattern.Dashed);
        plot.Axes.SetLimitsX(0, 1);
        plot.ShowLegend(Alignment.UpperCenter);
        PlotRendering.SavePng(plot, path, options);
    }

    /// <summary>The diffusion-loss integrand against t (e.g. E[½ γ'(t) ‖ε − ε̂‖²] in bits/dim per unit t).</summary>
    public static void DiffusionIntegrand(string path, double[] t, double[] integrand, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(integrand);
        options ??= new PlotOptions();
        using var plot = PlotRendering.NewPlot(options, "Diffusion loss integrand", "t", "integrand");
        var (xs, ys) = PlotRendering.Prepare(t, integrand, options.LogY);
        var line = plot.Add.Scatter(xs, ys);
        line.MarkerSize = 0;
        plot.Axes.SetLimitsX(0, 1);
        plot.Axes.AutoScaleY();
        PlotRendering.SavePng(plot, path, options);
    }

    /// <summary>A 2-D point cloud (e.g. toy data or samples), equal units on both axes.</summary>
    public static void Scatter(string path, double[] x, double[] y, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new PlotOptions();
        if (options.LogY) throw new ArgumentException("log axes are not offered for scatter plots", nameof(options));
        using var plot = PlotRendering.NewPlot(options, "Points", "x", "y");
        var (xs, ys) = PlotRendering.Prepare(x, y, logY: false);
        var points = plot.Add.ScatterPoints(xs, ys);
        points.MarkerSize = xs.Length > 2000 ? 2 : 4;
        plot.Axes.SquareUnits();
        PlotRendering.SavePng(plot, path, options);
    }
}
