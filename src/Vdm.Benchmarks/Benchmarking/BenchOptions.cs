namespace Vdm.Benchmarking;

/// <summary>How <see cref="BenchRunner"/> measures.</summary>
public sealed record BenchOptions
{
    /// <summary>Untimed training steps (and a short sampler run) before measuring.</summary>
    public int Warmup { get; init; } = 3;

    /// <summary>Timed training steps; the report gives their median.</summary>
    public int Repeats { get; init; } = 10;

    /// <summary>libtorch intra-op threads (0 = leave libtorch's default).</summary>
    public int Threads { get; init; }

    /// <summary>Extra training steps watching resident memory and live tensors (0 = no soak).</summary>
    public int Soak { get; init; }

    /// <summary>Steps of the ancestral sampler run (1000 is the reference; fewer for a quick look).</summary>
    public int AncestralSteps { get; init; } = 1000;

    /// <summary>Steps of the DDIM sampler run.</summary>
    public int DdimSteps { get; init; } = 50;

    /// <summary>Skip the sampler runs (training only).</summary>
    public bool SkipSampling { get; init; }

    /// <summary>Keep freed memory in glibc's heap instead of returning it to the system after every step
    /// (<see cref="Vdm.Runtime.MallocSettings.KeepFreedMemory"/>).</summary>
    public bool KeepFreedMemory { get; init; } = true;

    /// <summary>Size of the n×n sgemm used to measure the matrix-multiply peak.</summary>
    public int SgemmSize { get; init; } = 2048;

    public void Validate()
    {
        if (Warmup < 0) throw new ArgumentException($"warm-up must be ≥ 0 (got {Warmup})");
        if (Repeats < 1) throw new ArgumentException($"repeats must be ≥ 1 (got {Repeats})");
        if (Threads < 0) throw new ArgumentException($"threads must be ≥ 0 (got {Threads})");
        if (Soak < 0) throw new ArgumentException($"soak must be ≥ 0 (got {Soak})");
        if (AncestralSteps < 2) throw new ArgumentException($"ancestral steps must be ≥ 2 (got {AncestralSteps})");
        if (DdimSteps < 2) throw new ArgumentException($"DDIM steps must be ≥ 2 (got {DdimSteps})");
        if (SgemmSize < 64) throw new ArgumentException($"sgemm size must be ≥ 64 (got {SgemmSize})");
    }
}
