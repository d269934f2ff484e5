using System.Runtime.InteropServices;

namespace Vdm.Persistence;

/// <summary>
/// fsync(2) of a folder, so that a rename inside it survives a power cut (on Unix a rename is durable only once its
/// directory is flushed). A no-op on Windows, where .NET cannot open a directory and NTFS journals renames.
/// </summary>
public static class FolderSync
{
    private const int ReadOnly = 0; // O_RDONLY: enough to fsync a directory
    private const int EInval = 22;

    public static void Flush(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(folder, ReadOnly);
        if (fd < 0) throw new IOException($"{folder}: cannot open the folder to flush it to disk (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // Some file systems refuse fsync on a directory (EINVAL): nothing more can be done there, so it is not an error.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInval)
                throw new IOException($"{folder}: flushing the folder to disk failed (errno {errno})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
