namespace Vdm.Cli.Infrastructure;

/// <summary>Bad input found by the CLI itself (exit code 2). The message is one line naming the problem.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }
}
