using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Distributed;
using Vdm.Sampling;
using static TorchSharp.torch;

namespace Vdm.Evaluation;

/// <summary>
/// The bound's terms for a contiguous range of examples, in bits/dim, one value per example (the mean over its
/// time samples): what a shard of an evaluation produces, and what <see cref="Combine"/> turns into a result.
/// </summary>
public sealed record ExampleBounds(long Start, double[] Total, double[] Recon, double[] Prior, double[] Diffusion, int TimeSamples, int? TimeSteps)
{
    /// <summary>
    /// Evaluates examples [shard.Start, shard.End) of the first shard.Total of <paramref name="data"/>. Example j's
    /// noise ε_0, time u ~ U(0, 1) and ε come from a generator seeded by (seed, j) only (SplitMix64,
    /// <see cref="SampleNoise.Mix"/>), so the values do not depend on the batch or the shard the example is in.
    /// </summary>
    public static ExampleBounds Evaluate(VariationalDiffusionModel model, Dataset data, EvalOptions options, BatchShard shard, IProgress<int>? progress = null)
    {
        if (options.TimeSamples < 1) throw new ArgumentException($"time samples must be ≥ 1 (got {options.TimeSamples})");
        if (options.BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1 (got {options.BatchSize})");
        if (shard.End > data.Count) throw new ArgumentException($"examples up to {shard.End} requested, the {data.Split} split has {data.Count}");
        var evalModel = options.TimeSteps is int steps && steps != model.Config.TimeSteps
            ? new VariationalDiffusionModel(model.Schedule, model.Network, model.Config with { TimeSteps = steps })
            : model;
        var n = (int)shard.Count;
        double[] total = new double[n], recon = new double[n], prior = new double[n], diffusion = new double[n];
        bool wasTraining = model.training;
        model.eval();
        using var noGrad = no_grad();
        var dtype = model.DType;
        var device = model.Device;
        for (int start = 0; start < n; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            int size = Math.Min(options.BatchSize, n - start);
            using var batch = data.Take((IReadOnlyList<long>)Enumerable.Range(0, size).Select(i => shard.Start + start + i).ToArray());
            var shape = batch.Images.shape[1..];
            var images = batch.Images.to(device);
            var labels = batch.Labels?.to(device);
            var generators = Enumerable.Range(0, size).Select(i => new Generator(SampleNoise.Mix(options.Seed, shard.Start + start + i))).ToArray();
            try
            {
                for (int k = 0; k < options.TimeSamples; k++)
                {
                    // Drawn on the CPU from each example's generator, then moved: the same numbers on every device.
                    var eps0 = stack(generators.Select(g => randn(shape, dtype, generator: g)).ToArray()).to(device);
                    var u = cat(generators.Select(g => rand(1, dtype, generator: g)).ToArray()).to(device);
                    var eps = stack(generators.Select(g => randn(shape, dtype, generator: g)).ToArray()).to(device);
                    using var terms = evalModel.Loss(images, labels, null, u, eps0, eps);
                    Add(total, start, terms.ToBitsPerDim(terms.Total()), options.TimeSamples);
                    Add(recon, start, terms.ToBitsPerDim(terms.Recon), options.TimeSamples);
                    Add(prior, start, terms.ToBitsPerDim(terms.Prior), options.TimeSamples);
                    Add(diffusion, start, terms.ToBitsPerDim(terms.Diffusion), options.TimeSamples);
                }
            }
            finally
            {
                foreach (var g in generators) g.Dispose();
            }
            progress?.Report(start + size);
        }
        if (wasTraining) model.train();
        return new ExampleBounds(shard.Start, total, recon, prior, diffusion, options.TimeSamples,
            options.TimeSteps ?? (model.Config.TimeSteps == 0 ? null : model.Config.TimeSteps));
    }

    private static void Add(double[] into, int offset, Tensor values, int samples)
    {
        var v = values.to(ScalarType.Float64).cpu().data<double>().ToArray();
        for (int i = 0; i < v.Length; i++) into[offset + i] += v[i] / samples;
    }

    /// <summary>
    /// The result over all examples of the parts, which must be contiguous from 0 and agree on the time settings:
    /// the mean bits/dim, its standard error √(s²/n) with s² the sample variance over examples, and each term's mean.
    /// Parts in any order give the same numbers as one part holding everything (the sums run in example order).
    /// </summary>
    public static EvalResult Combine(IEnumerable<ExampleBounds> parts)
    {
        var ordered = parts.OrderBy(p => p.Start).ToList();
        if (ordered.Count == 0) throw new ArgumentException("no evaluation parts to combine");
        long next = 0;
        foreach (var p in ordered)
        {
            if (p.Start != next) throw new ArgumentException(p.Start > next ? $"examples {next}..{p.Start - 1} are missing" : $"examples from {p.Start} appear twice");
            if (p.TimeSamples != ordered[0].TimeSamples || p.TimeSteps != ordered[0].TimeSteps)
                throw new ArgumentException("the parts were evaluated with different --time-samples or --time-steps");
            next += p.Total.Length;
        }
        double[] Join(Func<ExampleBounds, double[]> pick) => ordered.SelectMany(pick).ToArray();
        var total = Join(p => p.Total);
        int n = total.Length;
        double mean = total.Average();
        double variance = total.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, n - 1);
        return new EvalResult(mean, Math.Sqrt(variance / n), Join(p => p.Recon).Average(), Join(p => p.Prior).Average(), Join(p => p.Diffusion).Average(),
            n, ordered[0].TimeSamples, ordered[0].TimeSteps);
    }
}
