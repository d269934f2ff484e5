using Vdm.Cli.Infrastructure;
using Vdm.Runtime;

namespace Vdm.Cli;

/// <summary>The <c>vdm</c> command-line tool: parsing, validation and rendering; the work is done by the library.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The packed tool fetches libtorch on first use (docs/packaging.md); --version and --help need none.
        if (NeedsTorch(args))
        {
            try
            {
                LibTorchRuntime.EnsureLoaded(Console.Error);
            }
            catch (UsageException ex)
            {
                await Console.Error.WriteLineAsync($"vdm: {ex.Message}");
                return ExitCodes.Usage;
            }
        }
        // Before any TorchSharp call: oneDNN reads its kernel limit once (see ConvolutionBackend.SafeIsa).
        Vdm.Runtime.ConvolutionBackend.ApplyRememberedIsaCap();
        using var cancel = new CancellationTokenSource();
        var context = new CliContext(Console.Out, Console.Error, interactive: !Console.IsOutputRedirected, cancel.Token);
        // Ctrl-C while training: ask the run to stop cleanly (it writes a checkpoint). A second Ctrl-C, or one during
        // any other work (sampling, evaluation, data), ends the process at once.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancel.IsCancellationRequested || !context.StopsCleanlyOnCancel) return;
            e.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("vdm: stopping after this step and writing a checkpoint (Ctrl-C again to abort)");
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (what Slurm, Kubernetes and `kill` send before SIGKILL) stops a training run the same clean way.
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            if (cancel.IsCancellationRequested || !context.StopsCleanlyOnCancel) return;
            signal.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("vdm: SIGTERM: stopping after this step and writing a checkpoint");
        });
        try
        {
            return await Run(args, context);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    static bool NeedsTorch(string[] args) =>
        args.Length > 0 && !args.Any(a => a is "--version" or "--help" or "-h" or "-?");

    /// <summary>Runs the CLI in-process with the given writers (never interactive): what tests call.</summary>
    public static Task<int> Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel = default) =>
        Run(args, new CliContext(stdout, stderr, interactive: false, cancel));

    public static async Task<int> Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = CommandTree.Build(context);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var verb = parsed.CommandResult.Command is { } c && c != root ? CommandTree.FullName(parsed.CommandResult) : "vdm";
            context.Error.WriteLine($"{verb}: {parsed.Errors[0].Message}");
            return ExitCodes.Usage;
        }
        var invocation = new System.CommandLine.InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Ctrl-C is ours: see Main
        };
        return await parsed.InvokeAsync(invocation, context.Cancel);
    }
}
