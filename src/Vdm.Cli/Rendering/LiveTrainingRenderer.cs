using Spectre.Console;
using Vdm.Cli.Infrastructure;
using Vdm.Training;

namespace Vdm.Cli.Rendering;

/// <summary>A Spectre.Console progress bar (step, images/s, ETA, running bits/dim) for an interactive terminal;
/// evaluations, sample grids and messages are printed above it.</summary>
public sealed class LiveTrainingRenderer(CliContext context) : ITrainingRenderer
{
    public TrainingSummary Run(TrainingRun run, CancellationToken cancel)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
        var running = new RunningMean();
        double? lastRate = null;
        TrainingSummary? summary = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Describe(run.Step, run.Config.Train.Steps, null, null), maxValue: Math.Max(1, run.Config.Train.Steps));
                task.Value = run.Step;
                var progress = new Reporter<TrainingEvent>(e =>
                {
                    switch (e)
                    {
                        case StepEvent s:
                            if (!s.Result.Skipped) running.Add(s.Result.Loss.Total);
                            task.Value = s.Result.Step;
                            lastRate = s.ImagesPerSecond;
                            task.Description = Describe(s.Result.Step, s.TotalSteps, running.Value, lastRate);
                            if (s.Result.Step >= s.TotalSteps) console.MarkupLine("[grey]final evaluation and samples…[/]");
                            break;
                        case EvalEvent v:
                            console.MarkupLine($"[green]eval[/]  step {v.Step}  test {Format.Bpd(v.Result.BitsPerDim)} ± {Format.Bpd(v.Result.StdErr)} bits/dim ({v.Result.Examples} examples, EMA)");
                            break;
                        case SamplesEvent p:
                            console.MarkupLineInterpolated($"[blue]samples[/]  step {p.Step}  {p.Path}");
                            break;
                        case MessageEvent m:
                            console.MarkupLineInterpolated($"[yellow]{m.Text}[/]");
                            break;
                    }
                });
                summary = run.Run(progress, cancel);
                task.Value = summary.Step;
                task.StopTask();
            });
        return summary!;
    }

    /// <summary>Short enough for an 80-column terminal next to the bar: "step 120/2000  3.214 bpd  85 img/s".</summary>
    private static string Describe(long step, long total, double? bpd, double? rate) =>
        $"step {step}/{total}" + (bpd is { } b ? $"  {b.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} bpd" : "") + (rate is { } r ? $"  {Format.Rate(r)} img/s" : "");
}
