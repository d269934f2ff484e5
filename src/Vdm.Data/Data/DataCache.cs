using Vdm.Persistence;

namespace Vdm.Data;

/// <summary>
/// The folder where datasets are kept between runs: <see cref="DataOptions.DataDir"/>, else env <c>VDM_DATA</c>,
/// else <c>~/.cache/vdm</c>; one sub-folder per dataset. Files enter it only atomically: written to a temporary file
/// in the same folder and renamed once complete and verified, so a failed write leaves nothing behind.
/// </summary>
public sealed class DataCache
{
    public const string EnvironmentVariable = Vdm.Persistence.CacheRoot.EnvironmentVariable;

    public DataCache(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public static DataCache FromOptions(DataOptions? options) => new(DefaultRoot(options?.DataDir));

    /// <summary>The cache root: <paramref name="dataDir"/>, else the environment variable, else ~/.cache/vdm.</summary>
    public static string DefaultRoot(string? dataDir = null, Func<string, string?>? environment = null) =>
        Vdm.Persistence.CacheRoot.Default(dataDir, environment);

    /// <summary>The dataset's sub-folder (not created).</summary>
    public string FolderFor(DatasetSpec spec) => Path.Combine(Root, spec.CacheFolder.Length > 0 ? spec.CacheFolder : spec.Name);

    /// <summary>A fresh temporary name next to <paramref name="target"/> (same folder, so the final rename is atomic).</summary>
    public static string TempPathFor(string target) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> atomically (temp file + rename).</summary>
    public static void CopyAtomically(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        var temp = TempPathFor(target);
        try
        {
            File.Copy(source, temp);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    internal static void TryDeleteEmptyFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: an empty folder holds no data.
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temp name is unique and hidden, and will never be read as data.
        }
    }
}
