using System.Globalization;

namespace Vdm.Distributed;

/// <summary>Shard <see cref="Index"/> of <see cref="Count"/> of a sampling or evaluation job (written i/n on the command line).</summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new ArgumentException($"--shard {text}: expected i/n, e.g. 0/4");
        if (count < 1 || index >= count) throw new ArgumentException($"--shard {text}: the index must be in 0..n−1 (n ≥ 1)");
        return new ShardSpec(index, count);
    }

    /// <summary>The given shard, else the launcher's (MPI rank, Slurm array task, Kubernetes completion index), else null.</summary>
    public static ShardSpec? Resolve(string? given, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (given is not null) return Parse(given);
        if (Launcher.Shard(environment ?? Launcher.Environment()) is { } s)
        {
            if (s.Index < 0 || s.Index >= s.Count) throw new ArgumentException($"{s.Source} says shard {s.Index} of {s.Count}: out of range");
            return new ShardSpec(s.Index, s.Count);
        }
        return null;
    }

    public BatchShard Of(long total) => BatchShard.For(Index, Count, total);

    /// <summary>The file a shard writes for an output path: grid.png → grid.shard-0-of-4.json.</summary>
    public string FileFor(string output) => Path.ChangeExtension(output, null) + $".shard-{Index}-of-{Count}.json";

    public override string ToString() => $"{Index}/{Count}";
}
