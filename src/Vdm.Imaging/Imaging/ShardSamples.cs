using Vdm.Distributed;
using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>Samples drawn by shards: saved as <see cref="ShardFile"/>s, merged into the grid one process draws.</summary>
public static class ShardSamples
{
    public static void Save(string path, Tensor samples, ShardSpec shard, long total, int columns, int vocab, string job)
    {
        using var levels = samples.to(ScalarType.Int32).contiguous();
        new ShardFile
        {
            Kind = ShardFile.SamplesKind,
            Job = job,
            Index = shard.Index,
            Count = shard.Count,
            Start = shard.Of(total).Start,
            Total = total,
            Shape = samples.shape[1..],
            Levels = levels.data<int>().ToArray(),
            Vocab = vocab,
            Columns = columns,
        }.Save(path);
    }

    /// <summary>Writes the grid of all shards' samples in index order: the PNG an unsharded run writes.</summary>
    public static void Merge(IReadOnlyList<ShardFile> ordered, string output, int? columns = null)
    {
        var first = ordered[0];
        var levels = ordered.SelectMany(s => s.Levels!).ToArray();
        using var samples = tensor(levels, [first.Total, .. first.Shape!]);
        SampleImages.SaveGrid(output, samples, columns ?? first.Columns, first.Vocab);
    }
}
