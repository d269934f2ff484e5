using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Vdm.Persistence;

namespace Vdm.Cli.Infrastructure;

/// <summary>
/// The libtorch native runtime for the packed <c>vdm</c> tool (docs/packaging.md). A built or published <c>vdm</c>
/// has libtorch beside it (the <c>TorchSharp-cpu</c> reference) and this class does nothing. The NuGet tool package
/// leaves libtorch out (8 MB instead of 137 MB, and one libtorch for every tool version): on first run it is restored through NuGet
/// (the user's NuGet configuration, so mirrors and proxies apply) into <c>$VDM_DATA/runtime/ID/VERSION</c>, moved
/// there in one rename, and preloaded by absolute path before the first TorchSharp call, so the
/// <c>libLibTorchSharp.so</c> in the tool folder finds it by soname. Later runs need no network.
/// </summary>
public static class LibTorchRuntime
{
    /// <summary>A NuGet source (URL or folder) tried instead of the configured ones, e.g. a folder of .nupkg files.</summary>
    public const string SourceVariable = "VDM_LIBTORCH_SOURCE";

    /// <summary>The libraries to preload, dependencies first (each has RUNPATH $ORIGIN; see docs/packaging.md).</summary>
    static readonly string[] Preload = ["libgomp-98b21ff3.so.1", "libc10.so", "libtorch_cpu.so", "libtorch.so"];

    /// <summary>The libtorch runtime package this build was compiled against (written by Vdm.Cli.csproj).</summary>
    public static (string Id, string Version) Package
    {
        get
        {
            var attributes = typeof(LibTorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>();
            string Get(string key) => attributes.FirstOrDefault(a => a.Key == key)?.Value
                ?? throw new InvalidOperationException($"Vdm.Cli was built without the {key} assembly metadata");
            return (Get("VdmLibTorchPackageId"), Get("VdmLibTorchPackageVersion"));
        }
    }

    /// <summary>True when libtorch sits beside the program (a build or publish folder): nothing to do.</summary>
    public static bool IsBundled(string baseDirectory) =>
        File.Exists(Path.Combine(baseDirectory, "libtorch_cpu.so"))
        || File.Exists(Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", "libtorch_cpu.so"));

    /// <summary>Where the runtime lives once installed: <c>CACHE/runtime/ID/VERSION</c>.</summary>
    public static string InstallDirectory(string cacheRoot)
    {
        var (id, version) = Package;
        return Path.Combine(cacheRoot, "runtime", id, version);
    }

    /// <summary>
    /// Makes libtorch loadable when it is not beside the program: installs it on first use (messages on
    /// <paramref name="log"/>), then preloads it. Throws <see cref="UsageException"/> with one line when it cannot.
    /// </summary>
    public static void EnsureLoaded(TextWriter log, string? cacheRoot = null)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        if (IsBundled(AppContext.BaseDirectory)) return;
        var target = InstallDirectory(CacheRoot.Default(cacheRoot));
        if (!File.Exists(Path.Combine(target, "libtorch_cpu.so"))) Install(target, log);
        foreach (var name in Preload)
        {
            var path = Path.Combine(target, name);
            if (!NativeLibrary.TryLoad(path, out _))
                throw new UsageException($"cannot load {path}: the libtorch runtime in {target} is damaged; delete that folder and run vdm again");
        }
    }

    /// <summary>Restores the package into a fresh temporary folder beside <paramref name="target"/>, then renames its natives folder into place.</summary>
    public static void Install(string target, TextWriter log)
    {
        var (id, version) = Package;
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        RemoveAbandoned(parent);
        var work = Path.Combine(parent, $".restore-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var source = Environment.GetEnvironmentVariable(SourceVariable);
        if (string.IsNullOrWhiteSpace(source) && GlobalPackagesHas(id, version) is { } global) source = global;
        log.WriteLine($"vdm: first run: fetching the libtorch runtime ({id} {version}, about 130 MB to download, 600 MB on disk) through NuGet"
            + (string.IsNullOrWhiteSpace(source) ? "" : $" from {source}") + $" into {target}; this happens once");
        try
        {
            var watch = Stopwatch.StartNew();
            Restore(work, id, version, source, log);
            var natives = Path.Combine(work, "packages", id.ToLowerInvariant(), version.ToLowerInvariant(), "runtimes", "linux-x64", "native");
            if (!File.Exists(Path.Combine(natives, "libtorch_cpu.so")))
                throw new UsageException($"the restored {id} {version} has no runtimes/linux-x64/native/libtorch_cpu.so");
            try
            {
                Directory.Move(natives, target); // atomic: a reader sees nothing or everything
            }
            catch (IOException) when (File.Exists(Path.Combine(target, "libtorch_cpu.so")))
            {
                // another vdm finished first: use its copy
            }
            log.WriteLine($"vdm: libtorch runtime ready in {target} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static void Restore(string work, string id, string version, string? source, TextWriter log)
    {
        var project = Path.Combine(work, "runtime.csproj");
        File.WriteAllText(project,
            $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>netstandard2.0</TargetFramework>
                <DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="{id}" Version="[{version}]" /></ItemGroup>
            </Project>
            """);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work,
        };
        foreach (var arg in new[]
        {
            "restore", project, "--packages", Path.Combine(work, "packages"), "--nologo", "-v", "q",
            // the generated project stands alone: no Directory.Build.* or central versions from above the cache
            "-p:ImportDirectoryBuildProps=false", "-p:ImportDirectoryBuildTargets=false", "-p:ImportDirectoryPackagesProps=false",
        })
        {
            start.ArgumentList.Add(arg);
        }
        if (!string.IsNullOrWhiteSpace(source))
        {
            start.ArgumentList.Add("--source");
            start.ArgumentList.Add(source);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The download goes to our folder too, so progress counts it and nothing stays behind in NuGet's HTTP cache.
        start.Environment["NUGET_HTTP_CACHE_PATH"] = Path.Combine(work, "http-cache");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new UsageException($"vdm needs the .NET SDK (`dotnet`) on PATH to fetch the libtorch runtime on first run; "
                + $"or put the files of {id} {version} (runtimes/linux-x64/native) in {Path.GetDirectoryName(work)}/{version}");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            long lastReported = 0;
            while (!process.WaitForExit(2000))
            {
                var mb = FolderBytes(work) / (1024 * 1024);
                if (mb >= lastReported + 50) { log.WriteLine($"vdm: … {mb} MB downloaded and unpacked"); lastReported = mb; }
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var text = output.Result + "\n" + errors.Result;
                var first = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                    ?? text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? $"dotnet restore exited with {process.ExitCode}";
                throw new UsageException($"cannot fetch the libtorch runtime {id} {version} through NuGet ({first}); "
                    + $"connect once, or set {SourceVariable} to a folder holding {id.ToLowerInvariant()}.{version}.nupkg "
                    + $"(e.g. ~/.nuget/packages), or set {CacheRoot.EnvironmentVariable} to a cache that has runtime/{id}/{version}");
            }
        }
    }

    /// <summary>
    /// The NuGet global packages folder (<c>$NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>) when a restore has
    /// completed the package there (its <c>.nupkg.metadata</c> is written last), e.g. after building Vdm: then it is
    /// the source and nothing is downloaded. NuGet verifies the package again as it extracts it.
    /// </summary>
    public static string? GlobalPackagesHas(string id, string version)
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folder = Path.Combine(root, id.ToLowerInvariant(), version.ToLowerInvariant());
        return File.Exists(Path.Combine(folder, ".nupkg.metadata"))
            && File.Exists(Path.Combine(folder, $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg")) ? root : null;
    }

    /// <summary>Deletes the temporary folders of restores whose process is gone (killed mid-download).</summary>
    static void RemoveAbandoned(string parent)
    {
        foreach (var dir in Directory.EnumerateDirectories(parent, ".restore-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[1], out var pid)) continue;
            if (pid != Environment.ProcessId && Directory.Exists($"/proc/{pid}")) continue;
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static long FolderBytes(string folder)
    {
        try
        {
            return Directory.Exists(folder)
                ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => { try { return f.Length; } catch (IOException) { return 0L; } })
                : 0;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }
}
