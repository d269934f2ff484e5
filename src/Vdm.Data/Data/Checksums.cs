using System.Security.Cryptography;

namespace Vdm.Data;

/// <summary>Lower-case hex digests of files and bytes.</summary>
public static class Checksums
{
    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Md5File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }

    /// <summary>SHA-256 of the content after gzip decompression (of the bytes themselves if not gzip).</summary>
    public static string RawSha256File(string path) => Sha256(Compression.ReadMaybeGzip(path).Bytes);

    public static bool Same(string? expected, string actual) =>
        expected is not null && string.Equals(expected.Trim(), actual, StringComparison.OrdinalIgnoreCase);
}
