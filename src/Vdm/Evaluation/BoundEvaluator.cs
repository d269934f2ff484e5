using Vdm.Data;
using Vdm.Diffusion;
using static TorchSharp.torch;

namespace Vdm.Evaluation;

/// <summary>Estimates the VDM bound (bits/dim) on a dataset, with each term and a standard error over examples.</summary>
public static class BoundEvaluator
{
    public static EvalResult Evaluate(VariationalDiffusionModel model, Dataset data, EvalOptions options, IProgress<int>? progress = null)
    {
        if (options.TimeSamples < 1) throw new ArgumentException($"time samples must be ≥ 1 (got {options.TimeSamples})");
        if (options.BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1 (got {options.BatchSize})");
        if (options.Examples < 0) throw new ArgumentException($"examples must be ≥ 0 (got {options.Examples})");
        var evalModel = options.TimeSteps is int steps && steps != model.Config.TimeSteps
            ? new VariationalDiffusionModel(model.Schedule, model.Network, model.Config with { TimeSteps = steps })
            : model;
        long n = options.Examples == 0 ? data.Count : Math.Min(options.Examples, data.Count);
        var totals = new double[n];
        double recon = 0, prior = 0, diffusion = 0;
        bool wasTraining = model.training;
        model.eval();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)options.Seed);
        var device = model.Device;
        for (long start = 0; start < n; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(options.BatchSize, n - start);
            using var batch = data.Take((IReadOnlyList<long>)Enumerable.Range((int)start, (int)size).Select(i => (long)i).ToArray());
            var images = batch.Images.to(device);
            var labels = batch.Labels?.to(device);
            for (int k = 0; k < options.TimeSamples; k++)
            {
                using var terms = evalModel.Loss(images, labels, generator);
                var bpd = terms.ToBitsPerDim(terms.Total()).to(ScalarType.Float64).cpu().data<double>().ToArray();
                for (int i = 0; i < size; i++) totals[start + i] += bpd[i] / options.TimeSamples;
                var s = terms.Summarise();
                recon += s.Recon * size;
                prior += s.Prior * size;
                diffusion += s.Diffusion * size;
            }
            progress?.Report((int)(start + size));
        }
        if (wasTraining) model.train();

        double mean = totals.Average();
        double variance = totals.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, n - 1);
        double count = (double)n * options.TimeSamples;
        return new EvalResult(mean, Math.Sqrt(variance / n), recon / count, prior / count, diffusion / count,
            (int)n, options.TimeSamples, options.TimeSteps ?? (model.Config.TimeSteps == 0 ? null : model.Config.TimeSteps));
    }

    /// <summary>
    /// The continuous-time diffusion integrand ½ γ'(t) E‖ε − ε̂(z_t; t)‖² in bits/dim at <paramref name="points"/>
    /// evenly spaced times: where along t the bound spends its bits.
    /// </summary>
    public static (double[] T, double[] Integrand) PerTime(VariationalDiffusionModel model, Dataset data, int points, int examples, long seed)
    {
        if (points < 2) throw new ArgumentException($"points must be ≥ 2 (got {points})");
        var continuous = new VariationalDiffusionModel(model.Schedule, model.Network, model.Config with { TimeSteps = 0, Weighting = Weighting.Vlb });
        long n = Math.Min(Math.Max(1, examples), data.Count);
        using var noGrad = no_grad();
        using var batch = data.Take((IReadOnlyList<long>)Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray());
        var device = model.Device;
        using var images = batch.Images.to(device);
        using var labels = batch.Labels?.to(device);
        var t = new double[points];
        var values = new double[points];
        for (int i = 0; i < points; i++)
        {
            using var scope = NewDisposeScope();
            t[i] = (i + 0.5) / points;
            using var generator = new Generator((ulong)seed);
            using var terms = continuous.Loss(images, labels, generator, full(n, t[i], continuous.DType, device));
            values[i] = terms.Summarise().Diffusion;
        }
        return (t, values);
    }
}
