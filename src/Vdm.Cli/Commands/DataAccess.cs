using Vdm.Cli.Infrastructure;
using Vdm.Data;

namespace Vdm.Cli.Commands;

/// <summary>The one place where the CLI asks the data layer for a split.</summary>
internal static class DataAccess
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the known datasets when <paramref name="name"/> is neither
    /// a catalogue name nor a folder.</summary>
    public static void CheckName(string name)
    {
        var spec = DatasetCatalog.Resolve(name);
        if (spec.Folder is not null && !Directory.Exists(spec.Folder))
            throw new DirectoryNotFoundException($"{spec.Folder}: no such dataset folder");
    }

    /// <summary>For a folder of images: the folder scanned and <paramref name="requested"/> completed (channels, listing
    /// hash), to record in a new run's config; null for other datasets.</summary>
    public static ImageFolderConfig? ResolveImages(string name, ImageFolderConfig requested, string? dataDir)
    {
        var spec = DatasetCatalog.Resolve(name);
        if (spec.Format != DatasetFormat.ImageFolder) return null;
        return ImageFolderReader.Resolve(spec.Folder!, requested, new DataOptions { DataDir = dataDir }).Config;
    }

    /// <param name="log">Where the resolver's "tried X, found Y" lines go (null: nowhere).</param>
    /// <param name="images">How a folder of images is read (a run's recorded <see cref="ImageFolderConfig"/>).</param>
    public static Dataset Load(string name, string split, string? dataDir, TextWriter? log, ImageFolderConfig? images = null)
    {
        var options = new DataOptions
        {
            DataDir = dataDir,
            ImageFolder = images,
            Progress = log is null ? null : new Reporter<string>(line => log.WriteLine($"data: {line}")),
        };
        return DatasetResolver.Load(name, split, options);
    }
}
