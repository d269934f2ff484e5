namespace Vdm.Distributed;

/// <summary>
/// The part [Start, Start + Count) of a global batch (or of any list of <c>total</c> items) that rank r of n
/// handles: Start = ⌊r·total/n⌋, so the n parts are disjoint, cover everything in order and differ in size by at
/// most one.
/// </summary>
public readonly record struct BatchShard(long Start, long Count, long Total)
{
    public long End => Start + Count;

    public static BatchShard For(int rank, int size, long total)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "world size must be at least 1");
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{size - 1}");
        long start = rank * total / size, end = (rank + 1) * total / size;
        return new BatchShard(start, end - start, total);
    }
}
