namespace Vdm.Cli.Infrastructure;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An unexpected failure (a bug, an I/O error).</summary>
    public const int Failure = 1;

    /// <summary>Bad input: an unknown verb or option, an impossible value, a missing or corrupt file, settings under which training diverged.</summary>
    public const int Usage = 2;
}
