using System.Globalization;
using System.Text;
using Spectre.Console;
using Vdm.Benchmarking;
using Vdm.Cli.Infrastructure;
using Vdm.Imaging;
using Vdm.Persistence;
using Vdm.Runtime;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm bench</c>: runs <see cref="BenchRunner"/>; progress and a table on stderr, the JSON on stdout.</summary>
public static class BenchAction
{
    public static int Run(CliContext context, BenchArgs args)
    {
        if (args.JsonOut is { } path && Directory.Exists(path)) throw new UsageException($"--json-out {path}: is a folder");
        if (args.WaitPolicy is { } policy)
        {
            if (OpenMpSettings.OpenMpLoaded())
                throw new UsageException("--omp-wait: libtorch is already loaded in this process; set OMP_WAIT_POLICY in the environment instead");
            OpenMpSettings.SetWaitPolicy(policy);
        }

        var result = BenchRunner.Run(args.Config, args.Options, line => context.Error.WriteLine(line), args.Device);
        var json = result.ToJson();
        if (args.JsonOut is { } file)
        {
            var full = Path.GetFullPath(file);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            AtomicFile.WriteAllBytes(full, Encoding.UTF8.GetBytes(json + "\n"));
        }
        PrintTable(context.Error, result);
        context.Out.WriteLine(json);
        return ExitCodes.Success;
    }

    private static void PrintTable(TextWriter output, BenchResult r)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 132;
        var env = r.Environment;
        var table = new Table().Border(TableBorder.Simple).Title(Markup.Escape($"vdm bench --config {r.Config}"));
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));

        Row("model", $"{r.Model.Network}, {r.Model.Channels} ch, {r.Model.Blocks} blocks, batch {r.Model.Batch} of [{string.Join("×", r.Model.DataShape)}], {r.Model.Parameters:N0} parameters");
        Row("machine", $"{env.CpuModel} ({string.Join(" ", env.CpuFeatures)}), {env.Threads} threads, OMP wait {env.OmpWaitPolicy}, malloc {(env.MallocKeepsFreedMemory ? "keeps freed memory" : "default")}, load {F(env.LoadAverage, "0.0")}");
        Row("libtorch", $"{env.Libtorch} (TorchSharp {env.TorchSharp}, {env.Dotnet})");
        Row("training step", $"{F(r.Training.StepMs)} ms median of {r.Training.StepsMs.Length} (min {F(r.Training.StepMsMin)}, max {F(r.Training.StepMsMax)}), {F(r.Training.CpuMsPerStep)} ms CPU");
        Row("training images/s", F(r.Training.ImagesPerSecond, "0.0"));
        Row("FLOPs per training step", $"{r.Flops.TrainingStep / 1e9:0.00} G (forward {r.Flops.SamplerStep / 1e9:0.00} G × 3)");
        Row("training GFLOP/s", $"{F(r.Training.Gflops, "0.0")} = {r.Training.FractionOfSgemmPeak:P0} of sgemm peak");
        Row("per CPU-second", $"training {F(r.Training.GflopsPerCpuSecond, "0.0")} GFLOP, sgemm {F(r.Sgemm.GflopsPerCpuSecond, "0.0")} GFLOP: {r.Training.FractionOfSgemmPerCpuSecond:P0}");
        Row("sgemm peak", $"{F(r.Sgemm.PeakGflops, "0.0")} GFLOP/s (median {F(r.Sgemm.MedianGflops, "0.0")}, {r.Sgemm.Size}²)");
        if (r.Sampling is { } s)
        {
            Row("sampler step", $"{F(s.StepMs)} ms, {F(s.Gflops, "0.0")} GFLOP/s = {s.FractionOfSgemmPeak:P0} of peak");
            Row($"ancestral, {s.Ancestral.Steps} steps", $"{s.Ancestral.TotalMs / 1000:0.0} s for {s.Batch} images, {F(s.Ancestral.ImagesPerSecond, "0.000")} images/s");
            Row($"DDIM, {s.Ddim.Steps} steps", $"{s.Ddim.TotalMs / 1000:0.0} s for {s.Batch} images, {F(s.Ddim.ImagesPerSecond, "0.000")} images/s");
            Row("ms/step ancestral ÷ DDIM", F(s.MsPerStepRatioAncestralToDdim, "0.00"));
        }
        Row("peak resident", $"{r.Memory.PeakResidentBytes / 1048576.0:0} MiB");
        Row("live tensors before/after", $"{r.Memory.LiveTensorsBefore} / {r.Memory.LiveTensorsAfter}{(r.Memory.LiveTensorsEqual ? "" : "  (NOT EQUAL)")}");
        if (r.Soak is { } soak)
        {
            Row($"soak, {soak.Steps} steps", $"resident {soak.ResidentBytesStart / 1048576.0:0} → {soak.ResidentBytesEnd / 1048576.0:0} MiB ({soak.ResidentGrowthPercent:+0.00;-0.00}%; {soak.SettledGrowthPercent:+0.00;-0.00}% after the first 10%), " +
                $"live tensors {soak.LiveTensorsStart} → {soak.LiveTensorsEnd}{(soak.LiveTensorsFlat ? " (flat)" : " (NOT FLAT)")}");
        }
        console.Write(table);
    }

    private static string F(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);
}
