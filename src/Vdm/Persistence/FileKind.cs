using System.Runtime.InteropServices;

namespace Vdm.Persistence;

/// <summary>
/// What a path names (regular file, folder, FIFO, device, socket, symbolic link), from statx(2), so that a FIFO or a
/// device is refused before it is opened: opening a FIFO blocks, and reading /dev/zero never ends
/// (docs/reliability.md, "Files a later run trusts").
/// </summary>
public static class FileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 0x1C; // struct statx: stx_mode (u16) follows mask, blksize, attributes, nlink, uid, gid

    /// <summary>"regular file", "folder", "FIFO", "character device", "block device", "socket", "symbolic link", or null when nothing is there.</summary>
    public static string? Describe(string path, bool followLinks = true)
    {
        if (!OperatingSystem.IsLinux())
            return File.Exists(path) ? "regular file" : Directory.Exists(path) ? "folder" : null;
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer) != 0) return null;
        return (BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000) switch
        {
            0x8000 => "regular file",
            0x4000 => "folder",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            0xA000 => "symbolic link",
            var other => $"file of type 0x{other:X4}",
        };
    }

    /// <summary>True when <paramref name="path"/> is (or links to) something other than a regular file, with what it is.</summary>
    public static bool IsSpecial(string path, out string kind)
    {
        kind = Describe(path) ?? "missing";
        return kind is not ("regular file" or "missing");
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
