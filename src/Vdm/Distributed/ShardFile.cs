using System.Text.Json.Serialization;
using System.Text.Json;
using Vdm.Evaluation;
using Vdm.Persistence;

namespace Vdm.Distributed;

/// <summary>
/// What one shard of <c>vdm sample</c> or <c>vdm eval</c> writes (JSON), and the merge of all shards of a job into
/// exactly what one process writes: the same grid, byte for byte, or the same bits/dim and standard error.
/// <see cref="Job"/> names everything but the shard (checkpoint, seed, sampler, …) so shards of different jobs
/// are not merged by mistake.
/// </summary>
public sealed record ShardFile
{
    public const string SamplesKind = "samples", EvalKind = "eval";

    public required string Kind { get; init; }
    public required string Job { get; init; }
    public required int Index { get; init; }
    public required int Count { get; init; }
    public required long Start { get; init; }
    public required long Total { get; init; }

    /// <summary>Samples: their integer levels, row-major, with <see cref="Shape"/> per sample.</summary>
    public long[]? Shape { get; init; }
    public int[]? Levels { get; init; }
    public int Vocab { get; init; }
    public int Columns { get; init; }

    /// <summary>Evaluation: per-example bits/dim and terms.</summary>
    public double[]? Bound { get; init; }
    public double[]? Recon { get; init; }
    public double[]? Prior { get; init; }
    public double[]? Diffusion { get; init; }
    public int TimeSamples { get; init; }
    public int? TimeSteps { get; init; }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public void Save(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, Json));

    public static ShardFile Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ShardFile>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path}: empty shard file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a shard file: {e.Message}", e);
        }
    }

    public ExampleBounds ToBounds() => new(Start, Bound ?? [], Recon ?? [], Prior ?? [], Diffusion ?? [], TimeSamples, TimeSteps);

    public static ShardFile FromBounds(string job, ShardSpec shard, long total, ExampleBounds b) => new()
    {
        Kind = EvalKind,
        Job = job,
        Index = shard.Index,
        Count = shard.Count,
        Start = b.Start,
        Total = total,
        Bound = b.Total,
        Recon = b.Recon,
        Prior = b.Prior,
        Diffusion = b.Diffusion,
        TimeSamples = b.TimeSamples,
        TimeSteps = b.TimeSteps,
    };

    /// <summary>Checks that the files are all shards 0..n−1 of one job, each once; returns them in shard order.</summary>
    public static IReadOnlyList<ShardFile> CheckComplete(IReadOnlyList<(string Path, ShardFile File)> shards)
    {
        if (shards.Count == 0) throw new ArgumentException("no shard files given");
        var first = shards[0];
        foreach (var (path, s) in shards)
        {
            if (s.Kind != first.File.Kind) throw new ArgumentException($"{path} holds {s.Kind}, {first.Path} holds {first.File.Kind}: merge one kind at a time");
            if (s.Job != first.File.Job || s.Count != first.File.Count || s.Total != first.File.Total)
                throw new ArgumentException($"{path} is from another job than {first.Path} ({s.Job}, shard {s.Index}/{s.Count} vs {first.File.Job}, shard {first.File.Index}/{first.File.Count})");
        }
        var byIndex = shards.GroupBy(s => s.File.Index).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (index, list) in byIndex)
            if (list.Count > 1) throw new ArgumentException($"shard {index}/{first.File.Count} given twice: {list[0].Path} and {list[1].Path}");
        var missing = Enumerable.Range(0, first.File.Count).Where(i => !byIndex.ContainsKey(i)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(i => $"{i}/{first.File.Count}"))} missing");
        var ordered = Enumerable.Range(0, first.File.Count).Select(i => byIndex[i][0].File).ToList();
        foreach (var s in ordered)
        {
            var expected = BatchShard.For(s.Index, s.Count, s.Total);
            long rows = s.Kind == SamplesKind ? (s.Levels?.Length ?? 0) / Math.Max(1, s.Shape?.Aggregate(1L, (a, b) => a * b) ?? 1) : s.Bound?.Length ?? 0;
            if (s.Start != expected.Start || rows != expected.Count)
                throw new InvalidDataException($"shard {s.Index}/{s.Count} holds items {s.Start}..{s.Start + rows - 1}, expected {expected.Start}..{expected.End - 1}");
        }
        return ordered;
    }
}
