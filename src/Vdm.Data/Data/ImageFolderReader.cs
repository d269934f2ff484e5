using System.Text;
using Vdm.Imaging;
using Vdm.Persistence;
using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>
/// Reads one split of a folder of images (<see cref="ImageFolderListing"/>) into a <see cref="Dataset"/> of uint8
/// [N, C, S, S]. A split whose decoded bytes fit in <see cref="DataOptions.MaxInMemoryBytes"/> is held in memory;
/// a larger one is decoded once, an image at a time, into a cache file under the data cache
/// (<c>image-folders/</c>, named by the listing's hash and the shape) and memory-mapped, so the operating system
/// pages it in as batches need it. A file that cannot be decoded, or whose size differs from the first image's when
/// no image size is given, is refused (<see cref="DataFormatException"/> naming it) or, with
/// <see cref="ImageFolderConfig.SkipBadImages"/>, skipped and counted.
/// </summary>
public static class ImageFolderReader
{
    /// <summary>Decoded bytes per split held in memory by default: 1 GiB.</summary>
    public const long DefaultMaxInMemoryBytes = 1L << 30;

    /// <summary>
    /// Scans the folder and fills in what the config leaves open (channels from the first image, the listing's hash
    /// and file count). With a recorded <see cref="ImageFolderConfig.ListingSha256"/>, refuses a folder whose listing
    /// differs (<see cref="DataFormatException"/> naming the folder and, when known, the first changed file).
    /// </summary>
    public static (ImageFolderListing Listing, ImageFolderConfig Config) Resolve(string folder, ImageFolderConfig config, DataOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var listing = ImageFolderListing.Scan(folder, config);
        var listingsDir = Path.Combine(DataCache.FromOptions(options).Root, "image-folders");
        if (config.ListingSha256 is { } recorded && !Checksums.Same(recorded, listing.Sha256))
        {
            var oldPath = Path.Combine(listingsDir, $"{recorded}.listing.tsv");
            var detail = File.Exists(oldPath) ? ImageFolderListing.FirstDifference(File.ReadAllText(oldPath), listing.Text) : null;
            throw new DataFormatException(listing.Root,
                $"the folder changed since the run recorded it ({detail ?? $"{listing.Entries.Count} image files now, {config.Files} then"}; listing sha256 {listing.Sha256[..12]}, recorded {recorded[..Math.Min(12, recorded.Length)]}); " +
                "train a new run on the changed folder");
        }

        SaveListing(listingsDir, listing);
        int channels = config.Channels;
        if (channels == 0)
        {
            var first = listing.Entries[0];
            try
            {
                channels = ImageDecoder.Probe(File.ReadAllBytes(listing.FullPath(first))).Grey ? 1 : 3;
            }
            catch (ImageDecodeException) when (config.SkipBadImages)
            {
                channels = 3;
            }
            catch (ImageDecodeException e)
            {
                throw Bad(listing.FullPath(first), e.Message);
            }
        }

        return (listing, config with { Channels = channels, Files = listing.Entries.Count, ListingSha256 = listing.Sha256 });
    }

    /// <summary>Loads <paramref name="split"/> of the folder as <paramref name="config"/> says (resolved first if needed).</summary>
    public static Dataset Load(string folder, string split, ImageFolderConfig config, DataOptions? options = null)
    {
        options ??= new DataOptions();
        split = SplitNames.Normalise(split);
        var (listing, resolved) = Resolve(folder, config, options);
        var entries = listing.Split(split).ToList();
        var name = Path.GetFileName(listing.Root) is { Length: > 0 } leaf ? leaf : listing.Root;
        if (entries.Count == 0) throw new DataFormatException(listing.Root, $"no images for the {split} split");

        var shape = FirstShape(listing, entries, resolved);
        long perImage = (long)shape.C * shape.H * shape.W;
        bool onDisk = perImage * entries.Count > options.MaxInMemoryBytes;
        var skipped = new List<string>();
        var labels = new List<long>(entries.Count);
        Tensor images;
        if (!onDisk)
        {
            var buffer = new byte[perImage * entries.Count];
            int kept = 0;
            foreach (var entry in entries)
            {
                if (DecodeOne(listing, entry, resolved, shape, skipped) is not { } pixels) continue;
                pixels.CopyTo(buffer.AsSpan((int)(kept * perImage)));
                labels.Add(entry.Label);
                kept++;
            }

            images = tensor(buffer.AsSpan(0, (int)(kept * perImage)).ToArray(), [kept, shape.C, shape.H, shape.W], ScalarType.Byte);
        }
        else
        {
            images = MappedCache(listing, entries, resolved, shape, split, options, skipped, labels);
        }

        if (skipped.Count > 0)
            options.Progress?.Report($"{name}/{split}: skipped {skipped.Count} bad image{(skipped.Count == 1 ? "" : "s")} (first: {skipped[0]})");
        if (images.shape[0] == 0)
        {
            images.Dispose();
            throw new DataFormatException(listing.Root, $"no readable images for the {split} split ({skipped.Count} skipped)");
        }

        var labelTensor = listing.ClassNames.Count > 0 ? tensor(labels.ToArray(), ScalarType.Int64) : null;
        var where = onDisk ? $"{listing.Root} (decoded into a memory-mapped cache file)" : listing.Root;
        return new Dataset(images, labelTensor, listing.ClassNames.Count, 256, name, split, where);
    }

    private static (int C, int H, int W) FirstShape(ImageFolderListing listing, List<ImageFolderEntry> entries, ImageFolderConfig config)
    {
        if (config.ImageSize is { } size) return (config.Channels, size, size);
        // Without an image size every image must match the first readable one of the whole folder (both splits alike).
        foreach (var entry in listing.Entries)
        {
            try
            {
                var (w, h, _) = ImageDecoder.Probe(File.ReadAllBytes(listing.FullPath(entry)));
                return (config.Channels, h, w);
            }
            catch (ImageDecodeException e)
            {
                if (!config.SkipBadImages) throw Bad(listing.FullPath(entry), e.Message);
            }
        }

        throw new DataFormatException(listing.Root, $"no readable images ({entries.Count} in this split)");
    }

    /// <summary>The image's bytes [C, H, W], or null (recorded in <paramref name="skipped"/>) when skipping bad files.</summary>
    private static byte[]? DecodeOne(ImageFolderListing listing, ImageFolderEntry entry, ImageFolderConfig config, (int C, int H, int W) shape, List<string> skipped)
    {
        var path = listing.FullPath(entry);
        string problem;
        try
        {
            var pixels = ImageDecoder.Decode(File.ReadAllBytes(path), shape.C, config.ImageSize, out var w, out var h);
            if (w == shape.W && h == shape.H) return pixels;
            problem = $"is {w}×{h}, the other images {shape.W}×{shape.H} (give --image-size N to centre-crop and resize them all)";
        }
        catch (ImageDecodeException e)
        {
            problem = e.Message;
        }

        if (!config.SkipBadImages) throw Bad(path, problem);
        skipped.Add($"{path}: {problem}");
        return null;
    }

    // Decodes the split an image at a time into image-folders/<listing>-<split>-<C>x<H>x<W>.u8 (written to a temporary
    // name and renamed when complete; labels next to it), then maps the file. A complete cache file is reused.
    private static Tensor MappedCache(ImageFolderListing listing, List<ImageFolderEntry> entries, ImageFolderConfig config, (int C, int H, int W) shape,
        string split, DataOptions options, List<string> skipped, List<long> labels)
    {
        var dir = Path.Combine(DataCache.FromOptions(options).Root, "image-folders");
        Directory.CreateDirectory(dir);
        var stem = Path.Combine(dir, $"{listing.Sha256[..16]}-{split}-{shape.C}x{shape.H}x{shape.W}{(config.SkipBadImages ? "-skip" : "")}");
        var imagesPath = stem + ".u8";
        var labelsPath = stem + ".labels";
        long perImage = (long)shape.C * shape.H * shape.W;
        if (!File.Exists(imagesPath) || !File.Exists(labelsPath))
        {
            var kept = new List<long>();
            AtomicFile.Write(imagesPath, stream =>
            {
                foreach (var entry in entries)
                {
                    if (DecodeOne(listing, entry, config, shape, skipped) is not { } pixels) continue;
                    stream.Write(pixels);
                    kept.Add(entry.Label);
                }
            });
            AtomicFile.WriteAllBytes(labelsPath, Encoding.ASCII.GetBytes(string.Join('\n', kept)));
            options.Progress?.Report($"{listing.Root}/{split}: decoded {kept.Count} images into {imagesPath}");
        }

        labels.AddRange(File.ReadAllText(labelsPath).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse));
        long count = labels.Count;
        if (new FileInfo(imagesPath).Length != count * perImage)
            throw new DataFormatException(imagesPath, $"cache file holds {new FileInfo(imagesPath).Length} bytes, expected {count * perImage}: delete it to decode again");
        if (count == 0) return zeros([0, shape.C, shape.H, shape.W], ScalarType.Byte);
        using var flat = from_file(imagesPath, shared: false, size: count * perImage, dtype: ScalarType.Byte);
        return flat.view(count, shape.C, shape.H, shape.W);
    }

    private static DataFormatException Bad(string path, string problem) => new(path, $"{problem} (or give --skip-bad-images to skip such files)");

    private static void SaveListing(string dir, ImageFolderListing listing)
    {
        var path = Path.Combine(dir, $"{listing.Sha256}.listing.tsv");
        if (File.Exists(path)) return;
        try
        {
            Directory.CreateDirectory(dir);
            AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(listing.Text));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the saved listing only lets a later refusal name the changed file.
        }
    }
}
