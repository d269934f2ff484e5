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

    public TextWriter Error { get; }

    /// <summary>True when stdout is a terminal: live progress bars; otherwise plain periodic lines.</summary>
    public bool Interactive { get; }

    public CancellationToken Cancel { get; }
}
