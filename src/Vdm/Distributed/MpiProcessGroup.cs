using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Vdm.Distributed;

/// <summary>
/// A process group over MPI_COMM_WORLD of whichever MPI library the launcher provides (Open MPI or the MPICH
/// family, detected from the loaded library's exports). Tensors are passed by their CPU memory, no copy; a tensor
/// on another device goes through a CPU copy.
/// A watchdog ends this process (exit 3) when one collective takes longer than <see cref="Timeout"/>: a peer that
/// hangs or died without the launcher noticing cannot hold the job forever.
/// </summary>
public sealed class MpiProcessGroup : IProcessGroup
{
    /// <summary>Exit code of a rank the watchdog ends.</summary>
    public const int WatchdogExitCode = 3;

    private readonly MpiLibrary mpi;
    private readonly Timer watchdog;
    private long collectiveStartTicks; // Environment.TickCount64 when the running collective began, 0 when none
    private string collectiveName = "";
    private bool disposed;

    private MpiProcessGroup(MpiLibrary mpi, TimeSpan timeout)
    {
        this.mpi = mpi;
        mpi.Init();
        Rank = mpi.Rank();
        Size = mpi.Size();
        Description = $"{mpi.Version()} ({mpi.Path})";
        Timeout = timeout;
        watchdog = new Timer(_ => CheckProgress(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Loads MPI and joins MPI_COMM_WORLD; throws <see cref="DistributedException"/> when no library loads.</summary>
    public static MpiProcessGroup Start(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = environment ?? Launcher.Environment();
        var candidates = MpiLibrary.Candidates(env);
        var mpi = MpiLibrary.TryLoad(candidates, out var tried)
            ?? throw new DistributedException(
                $"no MPI library could be loaded (tried {tried}): install Open MPI (apt-get install openmpi-bin) or MPICH (apt-get install mpich), or name the library in VDM_MPI_LIBRARY");
        return new MpiProcessGroup(mpi, timeout);
    }

    public int Rank { get; }

    public int Size { get; }

    public string Description { get; }

    public MpiFamily Family => mpi.Family;

    /// <summary>Longest a single collective may take before the watchdog ends this process.</summary>
    public TimeSpan Timeout { get; }

    public void AllReduceSum(Tensor buffer)
    {
        var type = buffer.dtype switch
        {
            ScalarType.Float32 => mpi.Float,
            ScalarType.Float64 => mpi.Double,
            _ => throw new ArgumentException($"all-reduce of {buffer.dtype} is not supported (float32 or float64)"),
        };
        OnCpu(buffer, cpu => Collective("MPI_Allreduce", () => mpi.AllReduceInPlace(ref MemoryMarshal.GetReference(cpu.bytes), checked((int)cpu.numel()), type)));
    }

    public void Broadcast(Tensor buffer, int root = 0) =>
        OnCpu(buffer, cpu => Collective("MPI_Bcast", () => mpi.Broadcast(ref MemoryMarshal.GetReference(cpu.bytes), checked((int)(cpu.numel() * cpu.ElementSize)), mpi.Byte, root)));

    public void Barrier() => Collective("MPI_Barrier", mpi.Barrier);

    public void Abort(int exitCode, string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>Runs an action on the tensor's memory: in place for a contiguous CPU tensor, else through a copy.</summary>
    private static void OnCpu(Tensor buffer, Action<Tensor> action)
    {
        if (buffer.numel() == 0) return;
        if (buffer.device_type == TorchSharp.DeviceType.CPU && buffer.is_contiguous())
        {
            action(buffer);
            return;
        }
        using var cpu = buffer.cpu().contiguous();
        action(cpu);
        using var _ = no_grad();
        buffer.copy_(cpu);
    }

    private void Collective(string name, Action call)
    {
        collectiveName = name;
        Interlocked.Exchange(ref collectiveStartTicks, Environment.TickCount64);
        try
        {
            call();
        }
        finally
        {
            Interlocked.Exchange(ref collectiveStartTicks, 0);
        }
    }

    private void CheckProgress()
    {
        long start = Interlocked.Read(ref collectiveStartTicks);
        if (start == 0 || Environment.TickCount64 - start < Timeout.TotalMilliseconds) return;
        Console.Error.WriteLine(
            $"vdm: rank {Rank} of {Size}: {collectiveName} has waited {Timeout.TotalSeconds:0} s for the other ranks (one died or hangs); " +
            "ending this process: restart the job with --resume to continue from the last checkpoint");
        Console.Error.Flush();
        Posix.Exit(WatchdogExitCode); // a blocked MPI call cannot be interrupted; _exit skips waiting for it
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        watchdog.Dispose();
        if (!mpi.IsFinalized()) mpi.FinalizeMpi();
    }

    private static class Posix
    {
        [DllImport("libc", EntryPoint = "_exit")]
        public static extern void Exit(int status);
    }
}
