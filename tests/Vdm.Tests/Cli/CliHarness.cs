using System.Security.Cryptography;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>The result of one in-process CLI invocation.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Err)
{
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Asserts exit code 2 and exactly one stderr line that contains every fragment (case-insensitive).</summary>
    public void AssertUsageError(params string[] fragments)
    {
        Assert.True(ExitCode == 2, $"exit code {ExitCode}, expected 2; stderr: {Err}; stdout: {Out}");
        Assert.True(ErrLines.Length == 1, $"expected one stderr line, got {ErrLines.Length}: {Err}");
        foreach (var fragment in fragments)
            Assert.True(Err.Contains(fragment, StringComparison.OrdinalIgnoreCase), $"stderr does not mention '{fragment}': {Err}");
    }
}

internal static class CliHarness
{
    public static async Task<CliResult> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Vdm.Cli.Program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every file under a folder with its SHA-256, plus every folder: equal before and after = nothing touched.</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root)) return entries;
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            entries[Path.GetRelativePath(root, dir) + "/"] = "dir";
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            entries[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        return entries;
    }
}

/// <summary>A fresh folder under the system temp path, removed on dispose.</summary>
internal sealed class CliTemp : IDisposable
{
    public CliTemp()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vdm-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
