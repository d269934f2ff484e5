using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Vdm.Imaging;

namespace Vdm.Data;

/// <summary>One image file of a folder: where it is, its content hash, its class and split.</summary>
public sealed record ImageFolderEntry(string RelativePath, long Length, string Sha256, int Label, string Split);

/// <summary>
/// The files of a folder of images and what each one is, in a fixed order (ordinal by relative path).
/// Layout, as torchvision's ImageFolder: images under first-level sub-folders get the sub-folder's name as their class
/// (classes sorted ordinally, indices from 0); images directly in the folder, with no class sub-folders, are
/// unlabelled. A <c>test/</c> sub-folder (then optionally <c>train/</c>) holds the test split; without one,
/// <see cref="ImageFolderConfig.TestFraction"/> of the images, drawn with <see cref="ImageFolderConfig.SplitSeed"/>,
/// are the test split. Files and folders starting with '.' are ignored, as are files not named .png/.jpg/.jpeg.
/// </summary>
public sealed class ImageFolderListing
{
    private ImageFolderListing(string root, IReadOnlyList<ImageFolderEntry> entries, IReadOnlyList<string> classes, string text)
    {
        Root = root;
        Entries = entries;
        ClassNames = classes;
        Text = text;
        Sha256 = Checksums.Sha256(Encoding.UTF8.GetBytes(text));
    }

    public string Root { get; }

    public IReadOnlyList<ImageFolderEntry> Entries { get; }

    /// <summary>Class names in label order; empty when unlabelled.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The listing as text: one line per file, "split TAB label TAB length TAB sha256 TAB relative/path".</summary>
    public string Text { get; }

    public string Sha256 { get; }

    public IEnumerable<ImageFolderEntry> Split(string split) => Entries.Where(e => e.Split == SplitNames.Normalise(split));

    public string FullPath(ImageFolderEntry entry) => Path.Combine(Root, entry.RelativePath);

    /// <summary>True when <paramref name="folder"/> holds image files (at any depth) and no IDX files at its top.</summary>
    public static bool LooksLikeImageFolder(string folder)
    {
        if (!Directory.Exists(folder)) return false;
        if (Directory.EnumerateFiles(folder).Any(f => Path.GetFileName(f).Contains("ubyte", StringComparison.OrdinalIgnoreCase))) return false;
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(ImageDecoder.IsImageFile);
    }

    /// <summary>Lists and hashes every image file of <paramref name="folder"/>.</summary>
    public static ImageFolderListing Scan(string folder, ImageFolderConfig config)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: no such image folder");
        var testDir = Directory.EnumerateDirectories(root).FirstOrDefault(d => string.Equals(Path.GetFileName(d), "test", StringComparison.OrdinalIgnoreCase));
        var trainDir = testDir is null ? null : Directory.EnumerateDirectories(root).FirstOrDefault(d => string.Equals(Path.GetFileName(d), "train", StringComparison.OrdinalIgnoreCase));

        var splitRoots = testDir is null
            ? [(SplitNames.Train, root, (string?)null)]
            : new List<(string Split, string Dir, string? Exclude)> { (SplitNames.Train, trainDir ?? root, trainDir is null ? testDir : null), (SplitNames.Test, testDir, null) };

        // Every split root is read the same way: class sub-folders, or images directly in it.
        var found = new List<(string Split, string Path, string? Class)>();
        foreach (var (split, dir, exclude) in splitRoots)
            found.AddRange(ListSplit(root, dir, exclude).Select(f => (split, f.Path, f.Class)));
        if (found.Count == 0) throw new DataFormatException(root, "no .png, .jpg or .jpeg files in the folder");
        bool labelled = found.Any(f => f.Class is not null);
        if (labelled && found.FirstOrDefault(f => f.Class is null) is { Path: not null } loose)
            throw new DataFormatException(loose.Path, "image outside any class sub-folder, while other images are in class sub-folders");

        var classes = labelled ? found.Select(f => f.Class!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() : [];
        var ordered = found.OrderBy(f => Relative(root, f.Path), StringComparer.Ordinal).ToList();
        var splits = ordered.Select(f => f.Split).ToArray();
        if (testDir is null) HoldOut(splits, config);

        var entries = new List<ImageFolderEntry>(ordered.Count);
        var text = new StringBuilder();
        for (int i = 0; i < ordered.Count; i++)
        {
            var (_, path, cls) = ordered[i];
            var bytes = File.ReadAllBytes(path);
            var entry = new ImageFolderEntry(Relative(root, path), bytes.Length, Checksums.Sha256(bytes), cls is null ? -1 : classes.IndexOf(cls), splits[i]);
            entries.Add(entry);
            text.Append(CultureInfo.InvariantCulture, $"{entry.Split}\t{entry.Label}\t{entry.Length}\t{entry.Sha256}\t{entry.RelativePath}\n");
        }

        return new ImageFolderListing(root, entries, classes, text.ToString());
    }

    /// <summary>The first line where two listings differ, as "relative/path (was …, now …)", or null when equal.</summary>
    public static string? FirstDifference(string oldText, string newText)
    {
        var before = oldText.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[(l.LastIndexOf('\t') + 1)..], StringComparer.Ordinal);
        var after = newText.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[(l.LastIndexOf('\t') + 1)..], StringComparer.Ordinal);
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            before.TryGetValue(path, out var was);
            after.TryGetValue(path, out var now);
            if (was == now) continue;
            return was is null ? $"{path} was added" : now is null ? $"{path} was removed" : $"{path} changed";
        }

        return null;
    }

    // The held-out test images: a seeded permutation's first round(n × fraction) (at least one when n ≥ 2).
    private static void HoldOut(string[] splits, ImageFolderConfig config)
    {
        int n = splits.Length;
        int count = config.TestFraction <= 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(n * config.TestFraction), 1, n - 1);
        var order = Enumerable.Range(0, n).ToArray();
        new Random(config.SplitSeed).Shuffle(order);
        foreach (var i in order.Take(count)) splits[i] = SplitNames.Test;
    }

    private static IEnumerable<(string Path, string? Class)> ListSplit(string root, string dir, string? exclude)
    {
        foreach (var file in Directory.EnumerateFiles(dir).Where(Visible).Where(ImageDecoder.IsImageFile))
            yield return (file, null);
        foreach (var sub in Directory.EnumerateDirectories(dir).Where(Visible))
        {
            if (exclude is not null && string.Equals(Path.GetFullPath(sub), Path.GetFullPath(exclude), StringComparison.Ordinal)) continue;
            foreach (var file in Directory.EnumerateFiles(sub, "*", SearchOption.AllDirectories).Where(ImageDecoder.IsImageFile))
                if (!Relative(root, file).Split('/').Any(part => part.StartsWith('.')))
                    yield return (file, Path.GetFileName(sub));
        }
    }

    private static bool Visible(string path) => !Path.GetFileName(path).StartsWith('.');

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
