using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>
/// Generated 2-D toy data for the MLP score network and fast tests: a swirl (2-D Swiss roll) and two moons.
/// Points are drawn from a <see cref="Generator"/> seeded with the given seed (same seed, same data), scaled into
/// [−1, 1] and quantised to V levels per coordinate, so the data are integers 0..V−1 of shape [N, 2]
/// (the VDM bound needs discrete data). Unlabelled.
/// </summary>
public static class Toy2D
{
    public const string SwirlName = "swirl";

    public const string MoonsName = "moons";

    public static IReadOnlyList<string> Names { get; } = [SwirlName, MoonsName];

    /// <summary>Generates <paramref name="kind"/> ("swirl" or "moons").</summary>
    public static Dataset Generate(string kind, int count, long seed, int vocab = 256, string split = SplitNames.Train) =>
        kind.ToLowerInvariant() switch
        {
            SwirlName => Swirl(count, seed, vocab, split),
            MoonsName => Moons(count, seed, vocab, split),
            _ => throw new ArgumentException($"unknown toy dataset '{kind}': expected {string.Join(" or ", Names)}", nameof(kind)),
        };

    /// <summary>Swirl: angle θ = 1.5π(1 + 2u), radius θ, Gaussian noise 0.3, scaled by 1/15.</summary>
    public static Dataset Swirl(int count, long seed, int vocab = 256, string split = SplitNames.Train)
    {
        Check(count, vocab);
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var theta = (rand(new long[] { count }, ScalarType.Float64, generator: generator) * 2 + 1) * (1.5 * Math.PI);
        var points = stack([theta * cos(theta), theta * sin(theta)], 1);
        points = points + randn(new long[] { count, 2 }, ScalarType.Float64, generator: generator) * 0.3;
        return Build(points / 15.0, vocab, SwirlName, split, seed);
    }

    /// <summary>Two moons: upper arc (cos a, sin a), lower arc (1 − cos a, 0.5 − sin a), a ~ U(0, π),
    /// Gaussian noise 0.1, centred on (0.5, 0.25) and scaled by 1/2; the two halves are shuffled together.</summary>
    public static Dataset Moons(int count, long seed, int vocab = 256, string split = SplitNames.Train)
    {
        Check(count, vocab);
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));
        var upper = count / 2;
        var angle = rand(new long[] { count }, ScalarType.Float64, generator: generator) * Math.PI;
        var isUpper = arange(count, ScalarType.Int64) < upper;
        var x = where(isUpper, cos(angle), 1 - cos(angle));
        var y = where(isUpper, sin(angle), 0.5 - sin(angle));
        var points = stack([x, y], 1) + randn(new long[] { count, 2 }, ScalarType.Float64, generator: generator) * 0.1;
        points = points.index_select(0, randperm(count, generator: generator));
        var centre = tensor(new[] { 0.5, 0.25 }, ScalarType.Float64);
        return Build((points - centre) / 2.0, vocab, MoonsName, split, seed);
    }

    /// <summary>Maps points in [−1, 1] to integer levels: bin ⌊(c + 1)/2 · V⌋, clamped to 0..V−1. Bin v is the
    /// inverse of the encoder f = 2((v + 0.5)/V) − 1, so decoding gives the bin centre.</summary>
    public static Tensor Quantise(Tensor points, int vocab)
    {
        using var scope = NewDisposeScope();
        var levels = floor((points.to_type(ScalarType.Float64) + 1) * 0.5 * vocab).clamp(0, vocab - 1);
        return levels.to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    private static Dataset Build(Tensor points, int vocab, string name, string split, long seed) =>
        new(Quantise(points, vocab), labels: null, numClasses: 0, vocab, name, SplitNames.Normalise(split), $"generated (seed {seed})");

    private static void Check(int count, int vocab)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (vocab is < 2 or > 256) throw new ArgumentOutOfRangeException(nameof(vocab), vocab, "vocab must be in 2..256");
    }
}
