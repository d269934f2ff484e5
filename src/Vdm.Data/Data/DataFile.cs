namespace Vdm.Data;

/// <summary>
/// A canonical file of a dataset as its publisher distributes it, with the checksums we know and the URLs it can be
/// downloaded from (tried in order). A null checksum means we do not know it — never a guess.
/// </summary>
public sealed record DataFile(string FileName)
{
    /// <summary>SHA-256 (lower-case hex) of the file exactly as downloaded.</summary>
    public string? Sha256 { get; init; }

    /// <summary>MD5 as published by the distributor; checked when no SHA-256 is known.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-256 of the decompressed content of a .gz file; checked when the file itself has no known hash.</summary>
    public string? RawSha256 { get; init; }

    /// <summary>Size in bytes as distributed, when known.</summary>
    public long? Size { get; init; }

    /// <summary>Download URLs, tried in order.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>The splits this file serves ("train", "test"); empty means every split (an archive).</summary>
    public IReadOnlyList<string> Splits { get; init; } = [];

    /// <summary>Where the checksums come from.</summary>
    public string? ChecksumSource { get; init; }

    public bool Serves(string split) => Splits.Count == 0 || Splits.Contains(SplitNames.Normalise(split));

    /// <summary>True when some checksum (SHA-256, MD5 or raw SHA-256) can verify a download.</summary>
    public bool HasChecksum => Sha256 is not null || Md5 is not null || RawSha256 is not null;
}
