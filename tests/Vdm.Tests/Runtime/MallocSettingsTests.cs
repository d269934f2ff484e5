using Vdm.Benchmarking;
using Vdm.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Runtime;

/// <summary>With freed memory kept in the heap, freed tensors stay resident until <see cref="MallocSettings.ReleaseFreedMemory"/>
/// gives them back; measured on VmRSS.</summary>
public class MallocSettingsTests
{
    private const int Blocks = 24;
    private const long BlockFloats = 4L * 1024 * 1024; // 16 MiB each: below the 32 MiB mmap threshold, so from the heap

    [Fact]
    public void Kept_heap_memory_stays_resident_until_released()
    {
        if (!OperatingSystem.IsLinux() || !MallocSettings.KeepFreedMemory()) return; // glibc only: nothing to check elsewhere
        var blocks = new List<Tensor>();
        for (var i = 0; i < Blocks; i++) blocks.Add(ones(BlockFloats)); // written, so resident
        var whileHeld = ProcessStats.ResidentBytes();
        foreach (var block in blocks) block.Dispose();
        var afterFree = ProcessStats.ResidentBytes();
        MallocSettings.ReleaseFreedMemory();
        var afterRelease = ProcessStats.ResidentBytes();

        const long allocated = Blocks * BlockFloats * sizeof(float); // 384 MiB
        Assert.True(whileHeld - afterFree < allocated / 4, $"freeing gave back {(whileHeld - afterFree) >> 20} MiB; the heap should keep it");
        Assert.True(afterFree - afterRelease > allocated / 2, $"releasing gave back only {(afterFree - afterRelease) >> 20} MiB of {allocated >> 20}");
    }
}
