using System.Diagnostics;
using System.Text;
using Xunit;

namespace Vdm.Tests.Distributed;

/// <summary>An MPI launcher on this machine: Open MPI's or MPICH's mpirun, each with the built CLI as the program.</summary>
internal sealed record MpiLauncher(string Name, string Path, string[] Options, string RankVariable)
{
    /// <summary>Open MPI's mpirun (as root it needs the two OMPI_ALLOW_RUN_AS_ROOT variables; --oversubscribe
    /// lets two ranks start on a one-core CI machine).</summary>
    public static MpiLauncher? OpenMpi(params string[] extra) =>
        Find("mpirun.openmpi", "orterun") is { } path ? new("openmpi", path, ["--oversubscribe", .. extra], "OMPI_COMM_WORLD_RANK") : null;

    public static MpiLauncher? Mpich() => Find("mpirun.mpich", "mpiexec.hydra") is { } path ? new("mpich", path, [], "PMI_RANK") : null;

    public static MpiLauncher? ByName(string name) => name switch
    {
        "openmpi" => OpenMpi(),
        "openmpi-tcp" => OpenMpi("--mca", "btl", "tcp,self") is { } l ? l with { Name = name } : null,
        "mpich" => Mpich(),
        _ => throw new ArgumentException(name),
    };

    private static string? Find(params string[] names)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in names)
                if (File.Exists(System.IO.Path.Combine(dir, name))) return System.IO.Path.Combine(dir, name);
        return null;
    }

    /// <summary>Starts <c>mpirun -np N dotnet exec Vdm.Cli.dll args</c> with output captured.</summary>
    public CliJob Start(int processes, params string[] args)
    {
        var info = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var o in Options) info.ArgumentList.Add(o);
        info.ArgumentList.Add("-np");
        info.ArgumentList.Add(processes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddCli(info, args);
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        return new CliJob(Process.Start(info)!);
    }

    /// <summary>The CLI alone, without a launcher.</summary>
    public static CliJob StartAlone(params string[] args) => StartAlone(new Dictionary<string, string>(), args);

    public static CliJob StartAlone(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment) info.Environment[k] = v;
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(CliDll());
        foreach (var a in args) info.ArgumentList.Add(a);
        return new CliJob(Process.Start(info)!);
    }

    private static void AddCli(ProcessStartInfo info, string[] args)
    {
        info.ArgumentList.Add(DotnetHost());
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(CliDll());
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
    }

    private static string CliDll()
    {
        var dll = System.IO.Path.Combine(AppContext.BaseDirectory, "Vdm.Cli.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Vdm.Cli");
        return dll;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}

/// <summary>A started launcher or CLI process with its output collected.</summary>
internal sealed class CliJob : IDisposable
{
    private readonly StringBuilder output = new(), error = new();

    public CliJob(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output { get { lock (output) return output.ToString(); } }

    public string Error { get { lock (error) return error.ToString(); } }

    /// <summary>Waits for the end (failing the test after <paramref name="seconds"/>) and returns the exit code.</summary>
    public int Wait(int seconds = 120)
    {
        Assert.True(Process.WaitForExit(seconds * 1000), $"still running after {seconds} s: {Output}\n{Error}");
        Process.WaitForExit(); // drains the readers
        return Process.ExitCode;
    }

    public string Describe() => $"exit {(Process.HasExited ? Process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(running)")}\nstdout:\n{Output}\nstderr:\n{Error}";

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }
}

/// <summary>A fact that needs Open MPI's mpirun (.ci/run installs it); skipped where there is none.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiLauncher.OpenMpi() is null && Environment.GetEnvironmentVariable("VDM_REQUIRE_MPI") is null) Skip = "needs Open MPI's mpirun (apt-get install openmpi-bin)";
    }
}
