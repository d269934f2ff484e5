using Vdm.Cli.Infrastructure;
using Vdm.Training;

namespace Vdm.Cli.Rendering;

/// <summary>Plain periodic lines, for logs and pipes (no terminal control codes).</summary>
public sealed class PlainTrainingRenderer(CliContext context, int every) : ITrainingRenderer
{
    public TrainingSummary Run(TrainingRun run, CancellationToken cancel)
    {
        var output = context.Out;
        var progress = new Reporter<TrainingEvent>(e =>
        {
            switch (e)
            {
                case StepEvent s when s.Result.Step % Math.Max(1, every) == 0 || s.Result.Step == s.TotalSteps || s.Result.Skipped:
                    output.WriteLine(StepLine(s));
                    break;
                case EvalEvent v:
                    output.WriteLine($"eval  step {v.Step}  test {Format.Bpd(v.Result.BitsPerDim)} ± {Format.Bpd(v.Result.StdErr)} bits/dim  ({v.Result.Examples} examples, EMA)");
                    break;
                case SamplesEvent p:
                    output.WriteLine($"samples  step {p.Step}  {p.Path}");
                    break;
                case CheckpointEvent c:
                    output.WriteLine($"checkpoint  step {c.Step}  {c.Path}");
                    break;
                case MessageEvent m:
                    output.WriteLine(m.Text);
                    break;
            }
            output.Flush();
        });
        return run.Run(progress, cancel);
    }

    public static string StepLine(StepEvent s)
    {
        var l = s.Result.Loss;
        var skipped = s.Result.Skipped ? "  (skipped: non-finite)" : "";
        var objective = l.IsBound ? "" : $" (weighted objective {Format.Bpd(l.Objective)})";
        return $"step {s.Result.Step}/{s.TotalSteps}  loss {Format.Bpd(l.Total)} bits/dim{objective}  recon {Format.Bpd(l.Recon)}  prior {Format.Bpd(l.Prior)}  " +
               $"diff {Format.Bpd(l.Diffusion)}  lr {Format.Lr(s.Result.LearningRate)}  img/s {Format.Rate(s.ImagesPerSecond)}{(s.WorldSize > 1 ? $" ({s.WorldSize} processes, {s.AllReduceSeconds / Math.Max(1e-9, s.Elapsed.TotalSeconds):0.0%} in all-reduce)" : "")}  eta {Format.Duration(s.Eta)}{skipped}";
    }
}
