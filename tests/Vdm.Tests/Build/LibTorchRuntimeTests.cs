using Vdm.Cli.Infrastructure;
using Xunit;

namespace Vdm.Tests.Build;

/// <summary>The packed tool's first-run install of libtorch (docs/packaging.md), without packing anything.</summary>
public class LibTorchRuntimeTests
{
    [Fact]
    public void ABuildFolderHasLibTorchBesideTheProgramSoNothingIsFetched() =>
        Assert.True(LibTorchRuntime.IsBundled(AppContext.BaseDirectory));

    [Fact]
    public void TheRecordedPackageIsTheOneTorchSharpCpuBrought()
    {
        var (id, version) = LibTorchRuntime.Package;
        Assert.Equal("libtorch-cpu-linux-x64", id);
        var deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vdm.Tests.deps.json"));
        Assert.Contains($"\"{id}/{version}\"", deps, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedInstallLeavesNothingAndRemovesWhatAKilledOneLeft()
    {
        var root = Path.Combine(Path.GetTempPath(), "vdm-runtime-" + Guid.NewGuid().ToString("N"));
        var target = LibTorchRuntime.InstallDirectory(root);
        var parent = Path.GetDirectoryName(target)!;
        // A folder left by a vdm killed mid-download (no such process): removed by the next install.
        var abandoned = Path.Combine(parent, ".restore-2147483646-0123456789abcdef");
        Directory.CreateDirectory(Path.Combine(abandoned, "packages"));
        File.WriteAllText(Path.Combine(abandoned, "packages", "half.nupkg"), "partial");
        var before = Environment.GetEnvironmentVariable(LibTorchRuntime.SourceVariable);
        Environment.SetEnvironmentVariable(LibTorchRuntime.SourceVariable, Path.Combine(root, "no-such-source"));
        try
        {
            var log = new StringWriter();
            var ex = Assert.Throws<UsageException>(() => LibTorchRuntime.Install(target, log));
            Assert.DoesNotContain('\n', ex.Message);
            Assert.Contains(LibTorchRuntime.SourceVariable, ex.Message);
            Assert.Contains("first run", log.ToString());
            Assert.False(Directory.Exists(target));
            Assert.Empty(Directory.GetFileSystemEntries(parent));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LibTorchRuntime.SourceVariable, before);
            Directory.Delete(root, recursive: true);
        }
    }
}
