namespace Vdm.Cli.Infrastructure;

/// <summary>Where a command writes, whether stdout is a live terminal, and the token cancelled by Ctrl-C.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, bool interactive, CancellationToken cancel)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Cancel = cancel;
    }

    public TextWriter Out { get; }

    private CliContext? parent; // the context Ctrl-C consults, for a silenced copy

    /// <summary>This context with standard output discarded (the ranks other than 0 of a data-parallel run).</summary>
    public CliContext Silenced() => new(TextWriter.Null, Error, false, Cancel) { parent = parent ?? this };

    public TextWriter Error { get; }

    /// <summary>True when stdout is a terminal: live progress bars; otherwise plain periodic lines.</summary>
    public bool Interactive { get; }

    public CancellationToken Cancel { get; }

    /// <summary>True while a command can stop cleanly on Ctrl-C (training); otherwise Ctrl-C ends the process at once.</summary>
    public bool StopsCleanlyOnCancel => Volatile.Read(ref cleanStops) > 0;

    private int cleanStops;

    /// <summary>Marks a section during which Ctrl-C cancels <see cref="Cancel"/> instead of ending the process.</summary>
    public IDisposable StopCleanlyOnCancel()
    {
        var owner = parent ?? this;
        Interlocked.Increment(ref owner.cleanStops);
        return new Section(owner);
    }

    private sealed class Section(CliContext context) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) Interlocked.Decrement(ref context.cleanStops);
        }
    }
}
