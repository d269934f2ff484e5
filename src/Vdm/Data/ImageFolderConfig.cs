namespace Vdm.Data;

/// <summary>
/// How a folder of images is read, recorded in a run's config so that resuming, sampling and evaluating read the
/// same data the same way. <see cref="ListingSha256"/> is the SHA-256 of the folder's listing
/// (<c>ImageFolderListing</c> in Vdm.Data): a resumed run refuses a folder whose listing changed.
/// </summary>
public sealed record ImageFolderConfig
{
    /// <summary>Centre-crop to a square and resize to this side; null keeps the images' own size (all must match).</summary>
    public int? ImageSize { get; init; }

    /// <summary>1 (grey) or 3 (RGB); 0 means "as the first image stores it" and is resolved before the run records it.</summary>
    public int Channels { get; init; }

    /// <summary>Skip files that cannot be decoded (or have the wrong size) instead of refusing the folder.</summary>
    public bool SkipBadImages { get; init; }

    /// <summary>Fraction of the images held out as the test split when the folder has no <c>test/</c> sub-folder.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>Seed of the held-out draw (fixed, so every reader makes the same split).</summary>
    public int SplitSeed { get; init; }

    /// <summary>Image files listed (before any is skipped); 0 when not yet scanned.</summary>
    public int Files { get; init; }

    /// <summary>SHA-256 of the listing; null when not yet scanned.</summary>
    public string? ListingSha256 { get; init; }

    public void Validate()
    {
        if (ImageSize is < 1 or > 4096) throw new ArgumentException($"image size must be in 1..4096 (got {ImageSize})");
        if (Channels is not (0 or 1 or 3)) throw new ArgumentException($"image channels must be 1 or 3 (got {Channels})");
        if (!(TestFraction >= 0 && TestFraction < 1)) throw new ArgumentException($"test fraction must be in [0, 1) (got {TestFraction})");
    }
}
