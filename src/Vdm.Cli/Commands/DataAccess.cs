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

    /// <param name="log">Where the resolver's "tried X, found Y" lines go (null: nowhere).</param>
    public static Dataset Load(string name, string split, string? dataDir, TextWriter? log)
    {
        var options = new DataOptions
        {
            DataDir = dataDir,
            Progress = log is null ? null : new Reporter<string>(line => log.WriteLine($"data: {line}")),
        };
        return DatasetResolver.Load(name, split, options);
    }
}
