using System.Runtime.InteropServices;

namespace Vdm.Runtime;

/// <summary>
/// libtorch allocates tensors with the C library's allocator. glibc returns the top of its heap to the system
/// whenever more than M_TRIM_THRESHOLD bytes are free there (by default twice its adaptive mmap threshold), so a
/// training step keeps giving activations back and faulting fresh zeroed pages in again: ~4% of a bench-vdm step in
/// the kernel's page-fault path. Keeping freed memory in the heap removes that, for a resident size that stays at
/// its peak instead of breathing (docs/performance.md: CPU per step −7 to −15%, peak resident +5%).
/// </summary>
public static class MallocSettings
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;

    /// <summary>Largest mmap threshold glibc accepts on 64-bit (half its 64 MiB heap size).</summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>True after a successful <see cref="KeepFreedMemory"/> in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Blocks up to 32 MiB come from the heap and freed heap memory is not trimmed back to the system (below
    /// 1 GiB free). glibc only; returns false (and changes nothing) elsewhere.</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            Applied = mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Applied = false; // not glibc (e.g. musl)
        }
        return Applied;
    }

    /// <summary>
    /// Gives the heap's free memory back to the system (glibc's <c>malloc_trim</c>) when <see cref="KeepFreedMemory"/>
    /// applies; nothing otherwise. A kept heap never shrinks, so its size is the high-water mark of every step so far,
    /// which fragmentation raises now and then (+4.7% over 2,000 bench-vdm steps, docs/performance.md); releasing
    /// it at checkpoints, every hundred steps or so, costs one step's page faults and lets the size follow the
    /// working set again.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        if (Applied) malloc_trim(0);
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc")]
    private static extern int malloc_trim(nuint pad);
}
