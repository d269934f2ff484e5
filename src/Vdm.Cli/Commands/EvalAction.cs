using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Spectre.Console;
using Vdm.Cli.Infrastructure;
using Vdm.Cli.Rendering;
using Vdm.Data;
using Vdm.Distributed;
using Vdm.Evaluation;
using Vdm.Imaging;
using Vdm.Persistence;
using Vdm.Runtime;
using Vdm.Sampling;
using Vdm.Training;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm eval</c>: the bound on the test split, each term and the total with its standard error.</summary>
public static class EvalAction
{
    /// <summary>Times at which <c>--per-time</c> evaluates the diffusion integrand, and examples used for it.</summary>
    private const int PerTimePoints = 50;
    private const int PerTimeExamples = 256;

    public static int Run(CliContext context, EvalArgs args)
    {
        MallocSettings.KeepFreedMemory(); // activations reuse the heap instead of faulting fresh pages in every step (docs/performance.md)
        if (args.PerTime is { } perTime)
        {
            var ext = Path.GetExtension(perTime).ToLowerInvariant();
            if (ext is not (".csv" or ".png")) throw new UsageException($"--per-time {perTime}: expected a .csv or .png file name");
            if (Directory.Exists(perTime)) throw new UsageException($"--per-time {perTime}: is a folder");
        }

        var shard = ShardSpec.Resolve(args.Shard);
        if (shard is not null && args.PerTime is not null) throw new UsageException("--per-time cannot be sharded: compute it in one process");
        if (shard is not null && args.SampleQuality) throw new UsageException("--sample-quality cannot be sharded: compute it in one process");
        if (shard is not null && args.Variance) throw new UsageException("--variance cannot be sharded: compute it in one process");
        using var loaded = Checkpoint.LoadModel(args.Source, ema: !args.Online, device: args.Device);
        foreach (var why in loaded.Skipped) context.Error.WriteLine($"vdm eval: warning: skipping checkpoint: {why}; using {loaded.Path}");
        var config = loaded.Config;
        using var test = DataAccess.Load(config.Dataset, SplitNames.Test, args.DataDir, args.Json ? null : context.Out, config.Images);
        if (!test.ExampleShape.SequenceEqual(config.Model.DataShape) || test.Vocab != config.Diffusion.Vocab)
            throw new UsageException($"{config.Dataset} test split has examples of shape [{string.Join(", ", test.ExampleShape)}] with {test.Vocab} levels; " +
                                     $"the model in {loaded.Path} expects [{string.Join(", ", config.Model.DataShape)}] with {config.Diffusion.Vocab}");

        if (args.SampleQuality)
        {
            if (test.Labels is null || test.NumClasses < 2 || test.Images.dim() != 4)
                throw new UsageException($"--sample-quality needs a labelled image dataset; {config.Dataset} is not one");
            try
            {
                SampleQuality.CheckCount(args.QualitySamples, test.Count);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException($"--samples {args.QualitySamples}: {e.Message.Split(" (Parameter")[0]}");
            }
        }

        var options = new EvalOptions
        {
            Examples = args.Examples ?? 0,
            TimeSamples = args.TimeSamples,
            BatchSize = args.BatchSize,
            Seed = args.Seed,
            TimeSteps = args.TimeSteps,
        };
        long examples = options.Examples == 0 ? test.Count : Math.Min(options.Examples, test.Count);
        // Example j's noise and time depend on (seed, j) only, so shards merged by `vdm merge` give this very figure.
        var range = shard?.Of(examples) ?? BatchShard.For(0, 1, examples);
        ExampleBounds Evaluate(IProgress<int>? p) => ExampleBounds.Evaluate(loaded.Model, test, options, range, p);
        var bounds = args.Json ? Evaluate(null)
            : context.Interactive ? WithProgressBar(context, range.Count, Evaluate)
            : Evaluate(PlainProgress(context.Out, range.Count));
        if (shard is { } part)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(loaded.Path))!;
            if (Path.GetFileName(folder) == "checkpoints") folder = Path.GetDirectoryName(folder)!; // the run folder
            var file = part.FileFor(Path.Combine(folder, $"eval-{loaded.Step:D8}-seed{args.Seed}"));
            var job = $"{Path.GetFullPath(loaded.Path)}|{(args.Online ? "online" : "ema")}|{examples} examples|seed {args.Seed}|{args.TimeSamples} time samples|T {args.TimeSteps}";
            ShardFile.FromBounds(job, part, examples, bounds).Save(file);
            context.Out.WriteLine($"wrote shard {part} (examples {range.Start}..{range.End - 1} of {examples}) to {file}; combine the shards with: vdm merge {Path.ChangeExtension(file, null)[..^$".shard-{part.Index}-of-{part.Count}".Length]}.shard-*-of-{part.Count}.json");
            return ExitCodes.Success;
        }
        var result = ExampleBounds.Combine([bounds]);
        var variance = args.Variance ? DiffusionVariance.Of(bounds) : null;

        string? perTimePath = null;
        if (args.PerTime is not null)
        {
            var (t, integrand) = BoundEvaluator.PerTime(loaded.Model, test, PerTimePoints, (int)Math.Min(examples, PerTimeExamples), args.Seed);
            perTimePath = Path.GetFullPath(args.PerTime);
            Directory.CreateDirectory(Path.GetDirectoryName(perTimePath)!);
            if (Path.GetExtension(perTimePath).Equals(".png", StringComparison.OrdinalIgnoreCase))
                Plots.DiffusionIntegrand(perTimePath, t, integrand, new PlotOptions { YLabel = "bits/dim per unit t" });
            else
                WriteCsv(perTimePath, t, integrand);
        }

        SampleQualityResult? quality = args.SampleQuality ? ScoreSamples(context, args, loaded, test) : null;

        if (args.Json) context.Out.WriteLine(ToJson(result, loaded, config, test, args, perTimePath, quality, variance));
        else PrintTable(context.Out, result, loaded, test, args, perTimePath, quality, variance);
        return ExitCodes.Success;
    }

    /// <summary>Draws the samples and scores them and as many real test images with the dataset's classifier.</summary>
    private static SampleQualityResult ScoreSamples(CliContext context, EvalArgs args, LoadedModel loaded, Dataset test)
    {
        var log = args.Json ? null : context.Out;
        using var train = DataAccess.Load(loaded.Config.Dataset, SplitNames.Train, args.DataDir, log, loaded.Config.Images);
        var (classifier, info) = ClassifierStore.LoadOrTrain(train, test, DataCache.DefaultRoot(args.DataDir), progress: log is null ? null : log.WriteLine, device: args.Device);
        using (classifier)
        {
            int steps = args.QualitySteps ?? loaded.Config.SampleSteps;
            var sampler = args.QualitySampler ?? loaded.Config.Sampler;
            int classes = loaded.Config.Model.NumClasses;
            double guidance = args.QualityGuidance ?? loaded.Config.SampleGuidance;
            if (guidance > 0 && classes == 0) throw new UsageException($"--guidance {guidance} needs a class-conditional model; {args.Source} is unconditional");
            log?.WriteLine($"drawing {args.QualitySamples} samples ({Sampler.Name(sampler)}, {steps} steps, seed {args.Seed}" +
                (classes > 0 ? $", classes in turn, guidance {guidance}" : "") + (args.QualityNoClip ? ", x̂ not clipped)" : ")"));
            var progress = PlainProgress(context.Out, args.QualitySamples);
            using var samples = SampleQuality.Draw(loaded.Model, loaded.Config.Model.DataShape, args.QualitySamples, sampler, steps, args.Seed,
                progress: log is null ? null : done => progress.Report(done), numClasses: classes, guidance: guidance, clip: !args.QualityNoClip);
            return SampleQuality.Score(classifier, samples, test, info.TestAccuracy, drawnForClasses: classes);
        }
    }

    /// <summary>A line at each quarter of the examples, for logs (long evaluations are otherwise silent).</summary>
    private static IProgress<int> PlainProgress(TextWriter output, long total)
    {
        int quarter = 0;
        return new Reporter<int>(done =>
        {
            int reached = (int)(4 * (long)done / Math.Max(1, total));
            if (reached <= quarter || done >= total) return;
            quarter = reached;
            output.WriteLine($"evaluated {done}/{total} examples");
        });
    }

    private static T WithProgressBar<T>(CliContext context, long total, Func<IProgress<int>, T> evaluate) where T : class
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
        T? result = null;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("evaluating", maxValue: Math.Max(1, total));
                result = evaluate(new Reporter<int>(done => task.Value = done));
            });
        return result!;
    }

    private static void PrintTable(TextWriter output, EvalResult r, LoadedModel loaded, Dataset test, EvalArgs args, string? perTimePath, SampleQualityResult? quality, DiffusionVariance? variance)
    {
        var time = r.TimeSteps is int steps ? $"discrete time, T = {steps}" : "continuous time";
        output.WriteLine($"{test.Name} {test.Split}: {r.Examples} examples, {r.TimeSamples} time sample{(r.TimeSamples == 1 ? "" : "s")} each, {time}");
        output.WriteLine($"model: {loaded.Path} (step {loaded.Step}, {(args.Online ? "online" : "EMA")} weights)");
        output.WriteLine($"  recon      {Format.Bpd(r.Recon)} bits/dim");
        output.WriteLine($"  prior      {Format.Bpd(r.Prior)} bits/dim");
        output.WriteLine($"  diffusion  {Format.Bpd(r.Diffusion)} bits/dim");
        output.WriteLine($"  total      {Format.Bpd(r.BitsPerDim)} ± {Format.Bpd(r.StdErr)} bits/dim (± one standard error over examples)");
        if (ClassMixture.BitsPerDim(r.BitsPerDim, loaded.Config.Model) is { } mixture)
            output.WriteLine($"  class-conditional: the total bounds −log p(x | y); the mixture of the {loaded.Config.Model.NumClasses} classes, p(x), is at most {Format.Bpd(mixture)} bits/dim");
        if (perTimePath is not null) output.WriteLine($"diffusion integrand against t: {perTimePath}");
        if (variance is not null)
            output.WriteLine($"diffusion estimate over examples: mean {Format.Bpd(variance.Mean)}, variance {variance.Variance:G4}, std {variance.StdDev:G4} bits/dim " +
                             $"(total: variance {variance.TotalVariance:G4})");
        if (quality is null) return;
        output.WriteLine($"sample quality: {SampleQualityResult.MetricName}; classifier test accuracy {quality.ClassifierAccuracy:P2}");
        output.WriteLine($"  {"",-22} {"FD",8} {"confidence",11} {"> 0.9",7} {"class entropy",14}");
        foreach (var (name, f) in new[] { ($"{quality.Count} samples", quality.Samples), ($"{quality.Count} real test images", quality.RealImages) })
            output.WriteLine($"  {name,-22} {f.FrechetDistance,8:F2} {f.MeanConfidence,11:F3} {f.ConfidentShare,7:P0} {f.ClassEntropyBits,9:F3} bits");
        output.WriteLine($"  (both against the other {quality.ReferenceImages} test images)");
        if (quality.PerClass is not { } perClass || quality.Agreement is not { } agreement) return;
        output.WriteLine($"  read as the class drawn for: samples {agreement.Samples:P1}, real test images {agreement.RealImages:P1} (as labelled)");
        output.WriteLine($"  {"class",-7} {"samples: confidence",20} {"read as it",11} {"real: confidence",17} {"read as it",11}");
        foreach (var c in perClass)
            output.WriteLine($"  {c.Label,-7} {c.Samples.MeanConfidence,20:F3} {c.Samples.Agreement,11:P0} {c.RealImages.MeanConfidence,17:F3} {c.RealImages.Agreement,11:P0}   ({c.Samples.Count} and {c.RealImages.Count} images)");
    }

    // JSON has no NaN or infinity: a non-finite bound (a model that diverged) is written as null, never an exception.
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static string ToJson(EvalResult r, LoadedModel loaded, RunConfig config, Dataset test, EvalArgs args, string? perTimePath, SampleQualityResult? quality, DiffusionVariance? variance)
    {
        var json = new JsonObject
        {
            ["checkpoint"] = loaded.Path,
            ["step"] = loaded.Step,
            ["weights"] = args.Online ? "online" : "ema",
            ["dataset"] = config.Dataset,
            ["split"] = test.Split,
            ["examples"] = r.Examples,
            ["timeSamples"] = r.TimeSamples,
            ["timeSteps"] = r.TimeSteps,
            ["seed"] = args.Seed,
            ["bitsPerDim"] = Number(r.BitsPerDim),
            ["stdErr"] = Number(r.StdErr),
            ["recon"] = Number(r.Recon),
            ["prior"] = Number(r.Prior),
            ["diffusion"] = Number(r.Diffusion),
        };
        if (ClassMixture.BitsPerDim(r.BitsPerDim, loaded.Config.Model) is { } mixture)
            json["classMixture"] = new JsonObject { ["classes"] = loaded.Config.Model.NumClasses, ["bitsPerDim"] = Number(mixture) };
        if (perTimePath is not null) json["perTime"] = perTimePath;
        if (variance is not null)
        {
            json["diffusionEstimate"] = new JsonObject
            {
                ["mean"] = Number(variance.Mean),
                ["variance"] = Number(variance.Variance),
                ["stdDev"] = Number(variance.StdDev),
                ["totalVariance"] = Number(variance.TotalVariance),
            };
        }
        if (quality is not null)
        {
            json["sampleQuality"] = new JsonObject
            {
                ["metric"] = SampleQualityResult.MetricName,
                ["samples"] = quality.Count,
                ["sampler"] = Sampler.Name(args.QualitySampler ?? loaded.Config.Sampler),
                ["sampleSteps"] = args.QualitySteps ?? loaded.Config.SampleSteps,
                ["clipDenoised"] = !args.QualityNoClip,
                ["classifierAccuracy"] = quality.ClassifierAccuracy,
                ["referenceImages"] = quality.ReferenceImages,
                ["sampled"] = Figures(quality.Samples),
                ["real"] = Figures(quality.RealImages),
            };
            if (quality.PerClass is { } perClass && quality.Agreement is { } agreement)
            {
                json["sampleQuality"]!["agreement"] = new JsonObject { ["sampled"] = Number(agreement.Samples), ["real"] = Number(agreement.RealImages) };
                json["sampleQuality"]!["perClass"] = new JsonArray([.. perClass.Select(c => (JsonNode)new JsonObject
                {
                    ["label"] = c.Label,
                    ["sampled"] = Figures(c.Samples),
                    ["real"] = Figures(c.RealImages),
                })]);
            }
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Figures(ClassFigures f) => new()
    {
        ["count"] = f.Count,
        ["meanConfidence"] = Number(f.MeanConfidence),
        ["agreement"] = Number(f.Agreement),
    };

    private static JsonObject Figures(QualityFigures f) => new()
    {
        ["frechetDistance"] = Number(f.FrechetDistance),
        ["meanConfidence"] = Number(f.MeanConfidence),
        ["confidentShare"] = Number(f.ConfidentShare),
        ["classEntropyBits"] = Number(f.ClassEntropyBits),
    };

    private static void WriteCsv(string path, double[] t, double[] integrand)
    {
        var text = new StringBuilder("t,integrand_bits_per_dim\n");
        for (int i = 0; i < t.Length; i++)
            text.Append(t[i].ToString("R", CultureInfo.InvariantCulture)).Append(',').Append(integrand[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.ToString()));
    }
}
