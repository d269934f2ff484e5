using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>One small swirl run trained once through the CLI (MLP preset, a few steps), shared by the tests of a class.
/// Tests that change a run work on a copy.</summary>
public sealed class SwirlRunFixture : IDisposable
{
    private readonly CliTemp temp = new();

    public SwirlRunFixture()
    {
        Run = temp.Sub("swirl-run");
        Train = CliHarness.Run(
            "train", "--dataset", "swirl", "--run", Run, "--steps", "4", "--batch-size", "32", "--channels", "16", "--blocks", "1",
            "--checkpoint-every", "2", "--eval-every", "0", "--seed", "3").GetAwaiter().GetResult();
    }

    public string Run { get; }

    internal CliResult Train { get; }

    /// <summary>A copy of the run in a fresh folder (removed with the fixture).</summary>
    public string CopyRun()
    {
        var target = temp.Sub("copy-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var dir in Directory.EnumerateDirectories(Run, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(Run, dir)));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(Run, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(Run, file)));
        return target;
    }

    public string NewFolder(string name) => temp.Sub(name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => temp.Dispose();
}
