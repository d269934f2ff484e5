using System.Text.Json;
using Vdm.Cli.Infrastructure;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Imaging;
using Vdm.Persistence;
using Vdm.Schedules;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Cli.Commands;

/// <summary>
/// <c>vdm plot RUN</c>: loss curves from <c>metrics.jsonl</c>, the schedule γ(t) and log-SNR (of the newest checkpoint,
/// or the initial one when there is none), and the forward process on one test image. Everything is read and checked
/// before the output folder is created.
/// </summary>
public static class PlotAction
{
    private static readonly double[] ForwardTimes = [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    public static int Run(CliContext context, string run, string? output, string? dataDir)
    {
        var runDir = Path.GetFullPath(run);
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"{runDir}: no such run folder");
        var config = TrainingRun.ReadConfig(runDir);
        var folder = new RunFolder(runDir);
        var records = ReadMetrics(context, folder.MetricsPath);
        var outDir = Path.GetFullPath(output ?? Path.Combine(runDir, "plots"));
        if (File.Exists(outDir)) throw new UsageException($"--out {outDir}: is a file, not a folder");

        using var scope = NewDisposeScope();
        LoadedModel? loaded = folder.Checkpoints().Count > 0 ? Checkpoint.LoadModel(runDir) : null;
        try
        {
            var schedule = loaded?.Model.Schedule ?? NoiseSchedule.Create(config.Schedule);
            var (t, gamma) = GammaCurve(schedule);
            Tensor? image = null;
            if (config.Model.DataShape.Length == 3)
            {
                using var test = DataAccess.Load(config.Dataset, SplitNames.Test, dataDir, log: null, config.Images);
                using var batch = test.Take((IReadOnlyList<long>)[0L]);
                image = batch.Images.clone();
            }

            Directory.CreateDirectory(outDir);
            var written = new List<string>();
            var train = records.Where(r => r.Kind == "train").ToList();
            var eval = records.Where(r => r.Kind == "eval").ToList();

            var total = Path.Combine(outDir, "loss.png");
            Plots.LossCurves(total, Series(train, ("bpd", "train bits/dim")).Concat(Series(eval, ("bpd", "test bits/dim (EMA)"))),
                new PlotOptions { Title = $"Training bound ({config.Dataset})" });
            written.Add(total);

            var terms = Path.Combine(outDir, "loss-terms.png");
            Plots.LossCurves(terms, Series(train, ("recon", "recon"), ("prior", "prior"), ("diffusion", "diffusion"), ("bpd", "total")),
                new PlotOptions { Title = "Terms of the bound (train)", LogY = true });
            written.Add(terms);

            var schedulePath = Path.Combine(outDir, "schedule.png");
            Plots.Schedule(schedulePath, t, gamma, new PlotOptions
            {
                Title = loaded is null ? "Noise schedule (initial: no checkpoint yet)" : $"Noise schedule at step {loaded.Step}",
            });
            written.Add(schedulePath);

            if (image is not null)
            {
                var forward = Path.Combine(outDir, "forward-process.png");
                ForwardProcessFigure.Save(forward, ForwardStrip(schedule, image, config.Diffusion.Vocab, config.Train.Seed));
                written.Add(forward);
            }

            foreach (var path in written) context.Out.WriteLine($"wrote {path}");
            if (image is null) context.Out.WriteLine("(no forward-process figure: the data are not images)");
            if (image is not null)
                context.Out.WriteLine($"forward-process.png: one test image at t = {string.Join(", ", ForwardTimes)} (left to right)");
        }
        finally
        {
            loaded?.Dispose();
        }
        return ExitCodes.Success;
    }

    private sealed record MetricRecord(string Kind, long Step, Dictionary<string, double> Values);

    private static List<MetricRecord> ReadMetrics(CliContext context, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (has the run logged anything yet?)", path);
        try
        {
            return MetricsLog.Read(path, (line, why) => context.Error.WriteLine($"vdm plot: warning: {path}: skipping unreadable line {line}: {why}"))
                .Select(r => new MetricRecord(r.Kind, r.Step, r.Values)).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a metrics log: {e.Message}", e);
        }
    }

    private static IEnumerable<LossRecord> Series(IEnumerable<MetricRecord> records, params (string Key, string Name)[] series) =>
        records.Select(r => new LossRecord(r.Step, series
                .Where(s => r.Values.ContainsKey(s.Key))
                .ToDictionary(s => s.Name, s => r.Values[s.Key])))
            .Where(r => r.Values.Count > 0);

    private static (double[] T, double[] Gamma) GammaCurve(NoiseSchedule schedule)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var t = linspace(0, 1, 201, ScalarType.Float32);
        var gamma = schedule.forward(t).to(ScalarType.Float64).data<double>().ToArray();
        return (t.to(ScalarType.Float64).data<double>().ToArray(), gamma);
    }

    /// <summary>z_t = α_t f + σ_t ε for one image and one ε at increasing t, mapped back to bytes like data.</summary>
    private static Tensor ForwardStrip(NoiseSchedule schedule, Tensor image, int vocab, long seed)
    {
        using var noGrad = no_grad();
        int k = ForwardTimes.Length;
        var f = ForwardProcess.Encode(image, vocab).expand(k, -1, -1, -1);
        using var generator = new Generator((ulong)seed);
        var eps = randn(image.shape, ScalarType.Float32, generator: generator).expand(k, -1, -1, -1);
        var gamma = schedule.forward(tensor(ForwardTimes, ScalarType.Float32));
        var z = ForwardProcess.Diffuse(f, gamma, eps);
        var levels = ((z + 1) * (vocab / 2.0)).floor().clamp(0, vocab - 1);
        return (levels * (255.0 / Math.Max(1, vocab - 1))).round().to(ScalarType.Byte);
    }
}
