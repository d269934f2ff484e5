namespace Vdm.Training;

/// <summary>
/// Upper bounds on every size and rate a user or a file can declare, checked before anything is built or
/// allocated (docs/reliability.md, "Sizes"). Each bound is far above every preset (src/Vdm/Training/Presets.cs:
/// at most 128 channels, 3 blocks, multipliers 1..2, batch 256, 2,000 samples of 100 steps, lr 3e-3), so a value
/// past it is a typing mistake or a forged file, not a real model.
/// </summary>
public static class ConfigLimits
{
    public const int MaxChannels = 4096;

    public const int MaxBlocks = 64;

    public const int MaxResolutionLevels = 8;

    public const int MaxChannelMultiplier = 64;

    /// <summary>Base channels × the largest multiplier (the widest layer).</summary>
    public const long MaxWidestLayer = 16_384;

    /// <summary>Values per example (3×512×512 = 786,432 fits).</summary>
    public const long MaxExampleSize = 1L << 20;

    public const int MaxClasses = 100_000;

    public const int MaxVocab = 65_536;

    public const int MaxBatchSize = 65_536;

    /// <summary>Samples in one request (a grid, or the sample count of a run's periodic grids).</summary>
    public const int MaxSampleCount = 100_000;

    /// <summary>Samples drawn at once: sampling memory depends on this, not on the requested count.</summary>
    public const int SampleChunk = 256;

    public const int MaxSampleSteps = 100_000;

    public const int MaxTimeSteps = 1_000_000;

    public const int MaxScheduleFeatures = 65_536;

    /// <summary>AdamW normalises its step, so each weight moves by about lr per step: above 1 training cannot work.</summary>
    public const double MaxLearningRate = 1.0;

    public const int MaxThreads = 4096;

    /// <summary>Throws <see cref="ArgumentException"/> naming the value and the limit when <paramref name="value"/> exceeds <paramref name="max"/>.</summary>
    public static void AtMost(string name, double value, double max)
    {
        if (!(value <= max)) throw new ArgumentException($"{name} {value} exceeds the limit of {max}");
    }

    /// <summary>The sample count of a request: 1..<see cref="MaxSampleCount"/>.</summary>
    public static void CheckSampleCount(long count, string name = "sample count")
    {
        if (count < 1) throw new ArgumentException($"{name} must be ≥ 1 (got {count})");
        AtMost(name, count, MaxSampleCount);
    }
}
