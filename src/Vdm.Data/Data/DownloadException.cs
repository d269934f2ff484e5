namespace Vdm.Data;

/// <summary>A download or package fetch failed; the message says why (HTTP status, timeout, broken connection,
/// checksum mismatch). Nothing was left in the cache.</summary>
public sealed class DownloadException : Exception
{
    public DownloadException(string message) : base(message)
    {
    }

    public DownloadException(string message, Exception inner) : base(message, inner)
    {
    }
}
