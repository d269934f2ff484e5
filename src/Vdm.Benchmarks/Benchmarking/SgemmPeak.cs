using System.Diagnostics;
using static TorchSharp.torch;

namespace Vdm.Benchmarking;

/// <summary>The machine's single-precision matrix-multiply rate, measured in this process with libtorch's own
/// sgemm on square n×n matrices (2n³ FLOPs per product), with whatever threads libtorch is set to use.</summary>
public static class SgemmPeak
{
    public static SgemmResult Measure(int size = 2048, int warmup = 2, int repeats = 8)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size));
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var generator = new Generator(1234);
        var a = randn([size, size], generator: generator);
        var b = randn([size, size], generator: generator);
        double flops = 2.0 * size * size * size;
        var rates = new List<double>();
        var cpu = TimeSpan.Zero;
        for (int i = 0; i < warmup + repeats; i++)
        {
            var cpuStart = ProcessStats.CpuTime();
            var watch = Stopwatch.StartNew();
            using (var c = a.mm(b)) watch.Stop();
            if (i < warmup) continue;
            cpu += ProcessStats.CpuTime() - cpuStart;
            rates.Add(flops / watch.Elapsed.TotalSeconds / 1e9);
        }
        return new SgemmResult(size, repeats, rates.Max(), Statistics.Median(rates), flops * repeats / cpu.TotalSeconds / 1e9);
    }
}

/// <summary>GFLOP/s of n×n sgemm: the best of the repeats (the peak the ratios use), their median, and GFLOP per
/// CPU-second of the process (all threads), which a busy machine disturbs less.</summary>
public sealed record SgemmResult(int Size, int Repeats, double PeakGflops, double MedianGflops, double GflopsPerCpuSecond);
