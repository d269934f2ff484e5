using static TorchSharp.torch;

namespace Vdm.Distributed;

/// <summary>
/// The processes that train one model together (data parallelism, docs/distributed.md): each has a rank in
/// 0..Size−1; collectives block until every rank has called them. Rank 0 is the one that writes files.
/// </summary>
public interface IProcessGroup : IDisposable
{
    int Rank { get; }

    int Size { get; }

    /// <summary>What carries the collectives, e.g. "Open MPI v4.1.4" or "single process".</summary>
    string Description { get; }

    /// <summary>Sums a contiguous float32 or float64 tensor over all ranks, in place.</summary>
    void AllReduceSum(Tensor buffer);

    /// <summary>Overwrites a contiguous tensor (any element type) with rank <paramref name="root"/>'s.</summary>
    void Broadcast(Tensor buffer, int root = 0);

    /// <summary>Waits until every rank has arrived.</summary>
    void Barrier();

    /// <summary>Ends every process of the job with <paramref name="exitCode"/> (after printing <paramref name="message"/>).</summary>
    void Abort(int exitCode, string message);
}

public static class ProcessGroupExtensions
{
    public static bool IsRoot(this IProcessGroup group) => group.Rank == 0;

    /// <summary>Broadcasts one number from rank <paramref name="root"/>.</summary>
    public static double BroadcastValue(this IProcessGroup group, double value, int root = 0)
    {
        if (group.Size == 1) return value;
        using var t = tensor(new[] { value });
        group.Broadcast(t, root);
        return t.item<double>();
    }
}
