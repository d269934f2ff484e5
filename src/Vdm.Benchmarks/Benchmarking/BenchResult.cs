using System.Text.Json.Serialization;
using System.Text.Json;
using Vdm.Sampling;

namespace Vdm.Benchmarking;

/// <summary>Everything one <c>vdm bench</c> run measured; serialises to the JSON the command prints.</summary>
public sealed record BenchResult
{
    public required string Config { get; init; }

    public required string Description { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public required ModelSummary Model { get; init; }

    public required EnvironmentInfo Environment { get; init; }

    public required BenchOptions Settings { get; init; }

    public required FlopSummary Flops { get; init; }

    public required SgemmResult Sgemm { get; init; }

    public required TrainingFigures Training { get; init; }

    /// <summary>Null when sampling was skipped.</summary>
    public SamplingFigures? Sampling { get; init; }

    public required MemoryFigures Memory { get; init; }

    /// <summary>Null without <c>--soak</c>.</summary>
    public SoakFigures? Soak { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

public sealed record ModelSummary(
    string Network, int Channels, int[] ChannelMultipliers, int Blocks, bool Attention, bool FourierFeatures, double Dropout,
    long[] DataShape, int Batch, long Parameters, string Schedule, string Time, string Dtype, string MemoryFormat);

public sealed record EnvironmentInfo(
    string CpuModel, string[] CpuFeatures, int LogicalCpus, int Threads, int InteropThreads, string OmpWaitPolicy, bool MallocKeepsFreedMemory,
    double LoadAverage, string Libtorch, string TorchSharp, string Dotnet, string Os, string Convolutions);

/// <summary>Analytic FLOPs (see <see cref="FlopCounter.Convention"/>).</summary>
public sealed record FlopSummary(
    string Convention, long ForwardPerExample, long TrainingStep, long SamplerStep,
    long Conv2dForward, long LinearForward, long AttentionForward, IReadOnlyList<LayerFlops> Layers);

public sealed record TrainingFigures(
    int Batch, double StepMs, double StepMsMin, double StepMsMax, double[] StepsMs, double CpuMsPerStep, double ImagesPerSecond,
    double Gflops, double FractionOfSgemmPeak, double GflopsPerCpuSecond, double FractionOfSgemmPerCpuSecond, double FinalLoss);

/// <summary>One full sampler run: total time to draw a batch and the time of its individual steps.</summary>
public sealed record SamplerRun(
    string Sampler, int Steps, int Batch, double TotalMs, double StepMs, double StepMsFirstTenth, double StepMsLastTenth,
    double ImagesPerSecond);

public sealed record SamplingFigures(
    int Batch, double StepMs, double Gflops, double FractionOfSgemmPeak, SamplerRun Ancestral, SamplerRun Ddim,
    double MsPerStepRatioAncestralToDdim);

public sealed record MemoryFigures(
    long PeakResidentBytes, long ResidentBytesBefore, long ResidentBytesAfter, long LiveTensorsBefore, long LiveTensorsAfter,
    bool LiveTensorsEqual);

public sealed record SoakPoint(int Step, long ResidentBytes, long LiveTensors);

/// <summary>Resident memory and live tensors over a soak. <see cref="ResidentGrowthPercent"/> compares the last
/// point with the first; <see cref="SettledGrowthPercent"/> compares the median of the last tenth of the points with
/// the median of those between 10% and 20% of the steps, so that the allocator's and the runtime's first growth
/// (and a single garbage-collection spike) do not count as a leak.</summary>
public sealed record SoakFigures(
    int Steps, long ResidentBytesStart, long ResidentBytesEnd, long ResidentBytesMax, double ResidentGrowthPercent,
    double SettledGrowthPercent,
    long LiveTensorsStart, long LiveTensorsEnd, bool LiveTensorsFlat, double StepMs, IReadOnlyList<SoakPoint> Points);
