namespace Vdm.Persistence;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same folder, is flushed to disk,
/// then renamed over the target (rename(2) on Unix, which is atomic within one file system), and the folder is
/// flushed so the rename itself is durable. If anything fails, the temporary file is removed and an existing target
/// is left as it was.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes the target through <paramref name="write"/>, which receives a stream on the temporary file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"no folder in path '{path}'", nameof(path));
        // A hidden name that keeps the extension, so half-written files are easy to recognise and never picked up as results.
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        // After the rename the new content is in place whatever happens next; flushing the folder makes it survive a power cut.
        FolderSync.Flush(folder);
    }

    /// <summary>Writes <paramref name="bytes"/> to the target atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
