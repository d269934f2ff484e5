using System.CommandLine;
using System.CommandLine.Parsing;
using Vdm.Cli.Commands;
using Vdm.Cli.Infrastructure;

namespace Vdm.Cli;

/// <summary>The verbs of <c>vdm</c> and the wrapper that turns exceptions into one-line messages and exit codes.</summary>
public static class CommandTree
{
    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("Variational Diffusion Models: train, sample and evaluate on image and toy data.");
        root.Add(TrainCommand.Create(context));
        root.Add(SampleCommand.Create(context));
        root.Add(EvalCommand.Create(context));
        root.Add(MergeCommand.Create(context));
        root.Add(DataCommand.Create(context));
        root.Add(PlotCommand.Create(context));
        root.Add(BenchCommand.Create(context));
        root.Add(WeightsCommands.Export(context));
        root.Add(WeightsCommands.Import(context));
        root.SetAction(_ =>
        {
            context.Error.WriteLine($"vdm: no verb given: expected one of {string.Join(", ", root.Subcommands.Select(s => s.Name))} (see vdm --help)");
            return ExitCodes.Usage;
        });
        return root;
    }

    /// <summary>"vdm data fetch" for the command that was parsed.</summary>
    public static string FullName(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "vdm" : c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>Sets a verb's action: exceptions become one line on stderr and exit 2 (bad input) or 1 (failure).</summary>
    public static void SetHandler(Command command, CliContext context, Func<ParseResult, int> handler)
    {
        command.SetAction((ParseResult parsed, CancellationToken _) =>
        {
            var name = FullName(parsed.CommandResult);
            try
            {
                return Task.FromResult(handler(parsed));
            }
            catch (OperationCanceledException) when (context.Cancel.IsCancellationRequested)
            {
                context.Error.WriteLine($"{name}: cancelled");
                return Task.FromResult(ExitCodes.Failure);
            }
            catch (Exception ex)
            {
                context.Error.WriteLine($"{name}: {ErrorReport.OneLine(ex)}");
                return Task.FromResult(ErrorReport.ExitCode(ex));
            }
        });
    }
}
