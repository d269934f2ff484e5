using Vdm.Diffusion;
using Vdm.Sampling;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// Which examples form the batch of step n: epoch e = ⌊n B / N⌋ is a permutation drawn from a generator seeded
/// by (seed, e), cut into full batches. A pure function of (seed, step), so a resumed run sees exactly the batches
/// an uninterrupted run would have seen.
/// </summary>
public sealed class BatchSchedule
{
    private readonly long seed;
    private readonly long count;
    private readonly int batchSize;
    private readonly long batchesPerEpoch;
    private long cachedEpoch = -1;
    private long[] permutation = [];

    public BatchSchedule(long seed, long count, int batchSize)
    {
        if (batchSize > count) throw new ArgumentException($"batch size {batchSize} is larger than the dataset ({count} examples)");
        this.seed = seed;
        this.count = count;
        this.batchSize = batchSize;
        batchesPerEpoch = count / batchSize;
    }

    public long[] Indices(long step)
    {
        long epoch = step / batchesPerEpoch, within = step % batchesPerEpoch;
        if (epoch != cachedEpoch)
        {
            using var generator = new Generator(SampleNoise.Mix(seed ^ 0x0BADC0DE, epoch));
            using var perm = randperm(count, generator: generator);
            permutation = perm.data<long>().ToArray();
            cachedEpoch = epoch;
        }
        return permutation.AsSpan((int)(within * batchSize), batchSize).ToArray();
    }
}
