using System.Diagnostics;
using Xunit;

namespace Vdm.Tests.Build;

/// <summary>
/// TorchSharp's native library must load on this machine with every symbol bound eagerly (LD_BIND_NOW=1), in a fresh
/// process: the build's GLIBCXX fix (Directory.Build.targets) may only ever excuse the one never-called symbol.
/// </summary>
public class NativeLoadTests
{
    [Fact]
    public async Task TorchSharpLoadsWithEagerBindingInAChildProcess()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Vdm.Smoke.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing");
        var start = new ProcessStartInfo("dotnet", ["exec", dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["LD_BIND_NOW"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        // sum(A·A) for A = [[1,2],[3,4]] is 7+10+15+22 = 54; d/dA sum(A·A) = 1·Aᵀ + Aᵀ·1 summed: [[7,11],[9,13]].
        Assert.Equal("sum=54 grad=7,11,9,13", (await stdout).Trim());
    }

    [Fact]
    public void TheShippedLibraryNeedsOnlyTheKnownNewSymbolVersion()
    {
        var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), $"{lib} is missing");
        var bytes = File.ReadAllBytes(lib);
        // The version string GLIBCXX_3.4.32 may be recorded (weakly); no newer GLIBCXX version may appear at all.
        foreach (var minor in Enumerable.Range(33, 20))
            Assert.True(IndexOf(bytes, System.Text.Encoding.ASCII.GetBytes($"GLIBCXX_3.4.{minor}\0")) < 0, $"needs GLIBCXX_3.4.{minor}");
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
