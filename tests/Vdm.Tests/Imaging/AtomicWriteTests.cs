using System.Diagnostics;
using Vdm.Imaging;
using Vdm.Persistence;
using Xunit;

namespace Vdm.Tests.Imaging;

public class AtomicWriteTests
{
    private static readonly byte[] Original = [9, 8, 7, 6];

    [Fact]
    public void WriterThrowingHalfway_LeavesExistingFileUnchanged_AndNoTempFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("out.png");
        File.WriteAllBytes(path, Original);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            s.Flush();
            throw new InvalidOperationException("rendering failed");
        }));
        Assert.Equal(Original, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void SuccessfulWrite_ReplacesFile_AndLeavesNoTempFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("out.png");
        File.WriteAllBytes(path, Original);
        var image = new PngImage(3, 2, 1, [1, 2, 3, 4, 5, 6]);
        PngWriter.Write(path, image);
        Assert.Equal(image.Pixels, PngReader.Read(path).Pixels);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    /// <summary>
    /// A folder nobody may create files in. Permission bits do not stop root, so when they turn out to be
    /// ineffective the folder is made immutable (chattr +i), which root cannot bypass either.
    /// </summary>
    [Fact]
    public void ReadOnlyFolder_WriteFails_ExistingFileUnchanged()
    {
        if (OperatingSystem.IsWindows()) return; // Unix permission bits and chattr: Linux-only scenario
        using var dir = new TempFolder();
        var path = dir.File("grid.png");
        File.WriteAllBytes(path, Original);
        var image = new PngImage(2, 2, 3, new byte[12]);
        var immutable = false;
        try
        {
            File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            if (CanCreateFileIn(dir.Path))
            {
                immutable = Chattr("+i", dir.Path);
                Assert.True(immutable && !CanCreateFileIn(dir.Path),
                    "could not make a read-only folder here (running as root without chattr?)");
            }

            Assert.ThrowsAny<Exception>(() => PngWriter.Write(path, image));
            Assert.ThrowsAny<Exception>(() => Plots.Scatter(path, [0, 1], [1, 0], new PlotOptions { Width = 64, Height = 64 }));
            Assert.Equal(Original, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir.Path));
        }
        finally
        {
            if (immutable) Chattr("-i", dir.Path);
            File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static bool CanCreateFileIn(string folder)
    {
        var probe = Path.Combine(folder, "probe");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private static bool Chattr(string flag, string folder)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("chattr", [flag, folder])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr on this machine
        }
    }
}
