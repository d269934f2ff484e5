using System.Runtime.InteropServices;
using System.Text;

namespace Vdm.Distributed;

/// <summary>Which MPI application binary interface the loaded library speaks (docs/distributed.md).</summary>
public enum MpiFamily
{
    /// <summary>Handles are pointers to exported globals (ompi_mpi_comm_world, …); MPI_IN_PLACE = (void*)1.</summary>
    OpenMpi,

    /// <summary>MPICH, Intel MPI, MVAPICH: handles are int constants; MPI_IN_PLACE = (void*)−1.</summary>
    Mpich,
}

/// <summary>
/// A thin binding of the nine MPI C functions data-parallel training needs, loaded at run time so the library
/// works without MPI and with either family. Handles are passed as native-sized integers: MPICH's are C ints,
/// which the x86-64 and AArch64 calling conventions pass in the low half of a register, as all arguments here are
/// (at most six per call).
/// </summary>
internal sealed class MpiLibrary
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int InitFn(IntPtr argc, IntPtr argv);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int FlagFn(out int flag);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int CommIntFn(nint comm, out int value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int AllreduceFn(nint sendbuf, ref byte recvbuf, int count, nint datatype, nint op, nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int BcastFn(ref byte buffer, int count, nint datatype, int root, nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int CommFn(nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int AbortFn(nint comm, int code);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int NoArgFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int VersionFn(byte[] version, out int length);

    private readonly InitFn init;
    private readonly FlagFn initialized, finalized;
    private readonly CommIntFn commRank, commSize;
    private readonly AllreduceFn allreduce;
    private readonly BcastFn bcast;
    private readonly CommFn barrier;
    private readonly AbortFn abort;
    private readonly NoArgFn finalize;
    private readonly VersionFn version;

    private MpiLibrary(string path, IntPtr handle)
    {
        Path = path;
        T Fn<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(handle, name));
        init = Fn<InitFn>("MPI_Init");
        initialized = Fn<FlagFn>("MPI_Initialized");
        finalized = Fn<FlagFn>("MPI_Finalized");
        commRank = Fn<CommIntFn>("MPI_Comm_rank");
        commSize = Fn<CommIntFn>("MPI_Comm_size");
        allreduce = Fn<AllreduceFn>("MPI_Allreduce");
        bcast = Fn<BcastFn>("MPI_Bcast");
        barrier = Fn<CommFn>("MPI_Barrier");
        abort = Fn<AbortFn>("MPI_Abort");
        finalize = Fn<NoArgFn>("MPI_Finalize");
        version = Fn<VersionFn>("MPI_Get_library_version");

        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var commWorld))
        {
            Family = MpiFamily.OpenMpi;
            CommWorld = commWorld;
            Float = NativeLibrary.GetExport(handle, "ompi_mpi_float");
            Double = NativeLibrary.GetExport(handle, "ompi_mpi_double");
            Byte = NativeLibrary.GetExport(handle, "ompi_mpi_byte");
            Sum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
            InPlace = 1;
        }
        else
        {
            Family = MpiFamily.Mpich;
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Byte = 0x4c00010d;
            Sum = 0x58000003;
            InPlace = -1;
        }
    }

    public string Path { get; }
    public MpiFamily Family { get; }
    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Byte { get; }
    public nint Sum { get; }
    public nint InPlace { get; }

    /// <summary>Sonames tried in order: the one matching the launcher's variables first (Open MPI's mpirun sets
    /// OMPI_*, MPICH's Hydra and Slurm's PMI set PMI_*), or VDM_MPI_LIBRARY when given.</summary>
    public static IReadOnlyList<string> Candidates(IReadOnlyDictionary<string, string> env)
    {
        if (env.TryGetValue("VDM_MPI_LIBRARY", out var given) && given.Length > 0) return [given];
        string[] openMpi = ["libmpi.so.40", "libmpi.so"], mpich = ["libmpich.so.12", "libmpi.so.12", "libmpich.so"];
        bool ompi = env.Keys.Any(k => k.StartsWith("OMPI_COMM_WORLD_", StringComparison.Ordinal));
        return ompi ? [.. openMpi, .. mpich] : [.. mpich, .. openMpi];
    }

    /// <summary>Loads the first candidate that opens (globally, so Open MPI's plug-ins see its symbols); null when none.</summary>
    public static MpiLibrary? TryLoad(IReadOnlyList<string> candidates, out string tried)
    {
        var failures = new List<string>();
        foreach (var name in candidates)
        {
            if (Dl.OpenGlobal(name) is { } handle && NativeLibrary.TryGetExport(handle, "MPI_Init", out _))
            {
                tried = string.Join(", ", failures);
                return new MpiLibrary(name, handle);
            }
            failures.Add(name);
        }
        tried = string.Join(", ", failures);
        return null;
    }

    public void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"{call} failed with MPI error {code}");
    }

    public void Init()
    {
        Check(initialized(out var done), "MPI_Initialized");
        if (done == 0) Check(init(IntPtr.Zero, IntPtr.Zero), "MPI_Init");
    }

    public bool IsFinalized()
    {
        finalized(out var done);
        return done != 0;
    }

    public int Rank() { Check(commRank(CommWorld, out var r), "MPI_Comm_rank"); return r; }

    public int Size() { Check(commSize(CommWorld, out var s), "MPI_Comm_size"); return s; }

    public void AllReduceInPlace(ref byte buffer, int count, nint datatype) =>
        Check(allreduce(InPlace, ref buffer, count, datatype, Sum, CommWorld), "MPI_Allreduce");

    public void Broadcast(ref byte buffer, int count, nint datatype, int root) =>
        Check(bcast(ref buffer, count, datatype, root, CommWorld), "MPI_Bcast");

    public void Barrier() => Check(barrier(CommWorld), "MPI_Barrier");

    public void Abort(int code) => abort(CommWorld, code);

    public void FinalizeMpi() => finalize();

    public string Version()
    {
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING is 256 (Open MPI) or 8192 (MPICH)
        if (version(buffer, out var length) != 0) return Family.ToString();
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0');
        var firstLine = string.Join(' ', text.Split('\n', 2)[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return firstLine.Split(',', 2)[0].Trim(); // "Open MPI v4.1.4", "MPICH Version: 4.0.2"
    }

    /// <summary>dlopen with RTLD_GLOBAL: .NET's NativeLibrary opens libraries locally.</summary>
    private static class Dl
    {
        private const int RtldNow = 2, RtldGlobal = 0x100;

        [DllImport("libc", EntryPoint = "dlopen")]
        private static extern IntPtr DlOpen(string file, int mode);

        public static IntPtr? OpenGlobal(string name)
        {
            try
            {
                var handle = DlOpen(name, RtldNow | RtldGlobal);
                return handle == IntPtr.Zero ? null : handle;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return NativeLibrary.TryLoad(name, out var handle) ? handle : null;
            }
        }
    }
}
