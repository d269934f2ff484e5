using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>
/// Gaussian noise for a batch of samples where sample i draws from its own generator seeded from (seed, i):
/// a sample's pixels depend only on the seed and its global index, not on the batch or shard it was drawn in.
/// </summary>
public sealed class SampleNoise : IDisposable
{
    private readonly Generator[] generators;

    public SampleNoise(long seed, long firstIndex, int count)
    {
        generators = new Generator[count];
        for (int i = 0; i < count; i++) generators[i] = new Generator(Mix(seed, firstIndex + i));
    }

    /// <summary>A [count, ...shape] tensor of standard normal noise, one row from each sample's generator.</summary>
    public Tensor Next(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var rows = generators.Select(g => randn(shape, dtype, generator: g)).ToArray();
        return stack(rows).to(device ?? CPU).MoveToOuterDisposeScope();
    }

    /// <summary>A generator for the sample with global index <paramref name="i"/> (used for categorical decoding).</summary>
    public Generator this[int i] => generators[i];

    public int Count => generators.Length;

    /// <summary>SplitMix64 of (seed, index): well-spread, reproducible seeds for nearby indices.</summary>
    public static ulong Mix(long seed, long index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    public void Dispose()
    {
        foreach (var g in generators) g.Dispose();
    }
}
