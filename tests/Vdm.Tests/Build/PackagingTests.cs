using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace Vdm.Tests.Build;

/// <summary>
/// `dotnet pack` of the solution into a temporary folder, once for the class (docs/packaging.md): the packages and
/// their folder, shared by the tests below. With --no-build: `dotnet test` has just built every project in this
/// configuration, and a build now could rewrite the test assembly that is running.
/// </summary>
public sealed class PackedSolution : IDisposable
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "vdm-pack-" + Guid.NewGuid().ToString("N"));
    public string Packages => Path.Combine(Root, "packages");
    public string PackLog { get; }
    public TimeSpan PackTime { get; }

    public PackedSolution()
    {
        Directory.CreateDirectory(Packages);
        var watch = Stopwatch.StartNew();
        var (code, output) = PackagingTests.Run("dotnet", ["pack", Path.Combine(PackagingTests.RepoRoot(), "Vdm.slnx"), "-c", Configuration, "-o", Packages, "--nologo", "--no-build"],
            PackagingTests.RepoRoot(), new Dictionary<string, string?>(), TimeSpan.FromMinutes(15));
        PackTime = watch.Elapsed;
        PackLog = output;
        if (code != 0) throw new InvalidOperationException($"dotnet pack failed ({code}):\n{output}");
    }

    public string Package(string id) => Path.Combine(Packages, $"{id}.{Version}.nupkg");

    /// <summary>The version every package gets (Directory.Build.props), read from the built core assembly.</summary>
    public static string Version =>
        typeof(Vdm.Diffusion.VariationalDiffusionModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public class PackagingTests(PackedSolution packed, ITestOutputHelper output) : IClassFixture<PackedSolution>
{
    static readonly string[] Libraries = ["Vdm", "Vdm.Data", "Vdm.Imaging", "Vdm.Interop"];
    const string Tool = "Vdm.Cli";
    const long GalleryLimit = 250L * 1024 * 1024;

    [Fact]
    public void PackProducesTheLibrariesAndTheToolAndNothingElse()
    {
        output.WriteLine($"dotnet pack of the solution: {packed.PackTime.TotalSeconds:F0} s");
        var made = Directory.GetFiles(packed.Packages, "*.nupkg").Select(Path.GetFileName).Order().ToArray();
        var expected = Libraries.Append(Tool).Select(id => $"{id}.{PackedSolution.Version}.nupkg").Order().ToArray();
        Assert.Equal(expected, made);
    }

    [Theory]
    [InlineData("Vdm")]
    [InlineData("Vdm.Data")]
    [InlineData("Vdm.Imaging")]
    [InlineData("Vdm.Interop")]
    [InlineData(Tool)]
    public void EachPackageCarriesItsMetadataAndReadme(string id)
    {
        using var zip = ZipFile.OpenRead(packed.Package(id));
        var meta = Nuspec(zip, id);
        string? Get(string name) => meta.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.Equal(id, Get("id"));
        Assert.Equal(PackedSolution.Version, Get("version"));
        Assert.Equal("Vdm contributors", Get("authors"));
        var license = meta.Elements().SingleOrDefault(e => e.Name.LocalName == "license");
        Assert.True(license is not null, $"{id}: the nuspec has no <license> (PackageLicenseExpression in Directory.Build.props)");
        Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
        Assert.False(string.IsNullOrWhiteSpace(Get("description")));
        Assert.NotEqual("Package Description", Get("description")); // the SDK's placeholder
        Assert.Equal("README.md", Get("readme"));
        var readme = zip.GetEntry("README.md");
        Assert.NotNull(readme);
        using var reader = new StreamReader(readme.Open());
        Assert.StartsWith("# ", reader.ReadToEnd());
        if (id != Tool) Assert.NotNull(zip.GetEntry($"lib/net10.0/{id}.xml")); // XML documentation beside the assembly
    }

    [Fact]
    public void TheCoreDependsOnTorchSharpAndNoLibTorchRuntime()
    {
        foreach (var id in Libraries)
        {
            using var zip = ZipFile.OpenRead(packed.Package(id));
            var dependencies = Nuspec(zip, id).Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => (string)e.Attribute("id")!).ToArray();
            Assert.DoesNotContain(dependencies, d => d.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase) || d.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
            if (id == "Vdm") Assert.Equal(["TorchSharp"], dependencies);
        }
    }

    [Fact]
    public void TheToolPackageLeavesLibTorchOutAndCarriesThePatchedLibTorchSharp()
    {
        var size = new FileInfo(packed.Package(Tool)).Length;
        output.WriteLine($"tool package: {size / 1e6:F1} MB");
        Assert.True(size < GalleryLimit / 10, $"tool package is {size} bytes");
        using var zip = ZipFile.OpenRead(packed.Package(Tool));
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.DoesNotContain(names, n => n.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        // libLibTorchSharp.so comes from the TorchSharp package; the packed copy has its GLIBCXX_3.4.32 need made weak
        // (Directory.Build.targets, always when packing) so the tool loads on Debian 12 whatever machine packed it.
        var lib = zip.Entries.Single(e => e.FullName.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal));
        using var stream = new MemoryStream();
        using (var s = lib.Open()) s.CopyTo(stream);
        Assert.True(GlibcxxNeedIsWeak(stream.ToArray()), "the packed libLibTorchSharp.so still needs GLIBCXX_3.4.32 strongly");
    }

    [Fact]
    public void TheToolInstallsFromTheFolderRestoresLibTorchOnceAndTrains()
    {
        var tools = Path.Combine(packed.Root, "tools");
        var (code, text) = Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packed.Packages, Tool, "--version", PackedSolution.Version],
            packed.Root, new Dictionary<string, string?>(), TimeSpan.FromMinutes(5));
        Assert.True(code == 0, text);
        var vdm = Path.Combine(tools, "vdm");

        (code, text) = Run(vdm, ["--version"], packed.Root, new Dictionary<string, string?>(), TimeSpan.FromMinutes(1));
        Assert.Equal(0, code);
        var informational = typeof(Vdm.Cli.Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(informational, text.Trim());
        Assert.StartsWith(PackedSolution.Version, text.Trim());

        // First run: the libtorch runtime is restored into this fresh cache. The source is whatever the machine has:
        // the NuGet global packages folder after the solution's own restore (no download), else nuget.org.
        var cache = Path.Combine(packed.Root, "vdm-data");
        var env = new Dictionary<string, string?> { ["VDM_DATA"] = cache, ["VDM_LIBTORCH_SOURCE"] = null };
        var watch = Stopwatch.StartNew();
        (code, text) = Run(vdm, ["train", "--preset", "moons", "--steps", "3", "--run", Path.Combine(packed.Root, "run1")], packed.Root, env, TimeSpan.FromMinutes(10));
        output.WriteLine($"first run (restore + 3 steps): {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(code == 0, text);
        Assert.Contains("vdm: first run: fetching the libtorch runtime", text);
        var (libtorch, libtorchVersion) = Vdm.Cli.Infrastructure.LibTorchRuntime.Package;
        Assert.True(File.Exists(Path.Combine(cache, "runtime", libtorch, libtorchVersion, "libtorch_cpu.so")), text);
        Assert.Empty(Directory.GetDirectories(Path.Combine(cache, "runtime", libtorch), ".restore-*"));

        // Second run: offline (an unusable source), nothing fetched.
        env["VDM_LIBTORCH_SOURCE"] = Path.Combine(packed.Root, "no-such-source");
        watch.Restart();
        (code, text) = Run(vdm, ["train", "--preset", "moons", "--steps", "3", "--run", Path.Combine(packed.Root, "run2")], packed.Root, env, TimeSpan.FromMinutes(10));
        output.WriteLine($"second run (3 steps): {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(code == 0, text);
        Assert.DoesNotContain("first run", text);
        Assert.True(File.Exists(Path.Combine(packed.Root, "run2", "config.json")), text);

        // First run without a reachable source: one line naming the cache and the way out, exit 2, nothing installed.
        var empty = Path.Combine(packed.Root, "vdm-data-offline");
        env["VDM_DATA"] = empty;
        (code, text) = Run(vdm, ["train", "--preset", "moons", "--steps", "3", "--run", Path.Combine(packed.Root, "run3")], packed.Root, env, TimeSpan.FromMinutes(5));
        Assert.True(code == 2, text);
        var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.StartsWith("vdm: cannot fetch the libtorch runtime", last);
        Assert.Contains("VDM_LIBTORCH_SOURCE", last);
        Assert.Contains("VDM_DATA", last);
        var runtime = Path.Combine(empty, "runtime", "libtorch-cpu-linux-x64");
        Assert.Empty(Directory.GetFileSystemEntries(runtime)); // no version folder, no leftover .restore-* folder
        Assert.False(Directory.Exists(Path.Combine(packed.Root, "run3")));
    }

    static XElement Nuspec(ZipArchive zip, string id)
    {
        var entry = zip.GetEntry($"{id}.nuspec") ?? throw new InvalidDataException($"{id}: no nuspec");
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    /// <summary>True when the ELF's version need GLIBCXX_3.4.32 is absent or has VER_FLG_WEAK (build/WeakenGlibcxxNeed.cs).</summary>
    static bool GlibcxxNeedIsWeak(byte[] d)
    {
        long shoff = BitConverter.ToInt64(d, 0x28);
        int shentsize = BitConverter.ToUInt16(d, 0x3A), shnum = BitConverter.ToUInt16(d, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var h = (int)(shoff + (long)i * shentsize);
            if (BitConverter.ToUInt32(d, h + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
            var strtab = (int)BitConverter.ToInt64(d, (int)(shoff + (long)BitConverter.ToInt32(d, h + 0x28) * shentsize) + 0x18);
            var vn = (int)BitConverter.ToInt64(d, h + 0x18);
            while (true)
            {
                int count = BitConverter.ToUInt16(d, vn + 2), va = vn + (int)BitConverter.ToUInt32(d, vn + 8);
                for (var j = 0; j < count; j++)
                {
                    var at = strtab + (int)BitConverter.ToUInt32(d, va + 8);
                    var end = Array.IndexOf(d, (byte)0, at);
                    if (System.Text.Encoding.ASCII.GetString(d, at, end - at) == "GLIBCXX_3.4.32")
                        return (BitConverter.ToUInt16(d, va + 4) & 0x2) != 0;
                    va += (int)BitConverter.ToUInt32(d, va + 12);
                }
                var next = BitConverter.ToUInt32(d, vn + 12);
                if (next == 0) return true;
                vn += (int)next;
            }
        }
        return true;
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vdm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Vdm.slnx above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a program; stdout and stderr together, in order of arrival.</summary>
    internal static (int Code, string Output) Run(string file, string[] args, string workingDirectory, Dictionary<string, string?> env, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env)
        {
            if (v is null) start.Environment.Remove(k);
            else start.Environment[k] = v;
        }
        var text = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} took over {timeout}: {text}");
        }
        process.WaitForExit();
        lock (text) return (process.ExitCode, text.ToString());
    }
}
