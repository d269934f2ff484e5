using System.Collections;
using System.Globalization;

namespace Vdm.Distributed;

/// <summary>
/// What the process was started by, read from the environment: Open MPI's mpirun (OMPI_COMM_WORLD_RANK/SIZE),
/// MPICH's Hydra or Slurm's PMI (PMI_RANK/PMI_SIZE), Slurm's srun (SLURM_PROCID/SLURM_NTASKS), job arrays
/// (SLURM_ARRAY_TASK_ID/COUNT) and Kubernetes indexed jobs (JOB_COMPLETION_INDEX with VDM_SHARD_COUNT).
/// </summary>
public static class Launcher
{
    public static IReadOnlyDictionary<string, string> Environment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) result[k] = v;
        return result;
    }

    /// <summary>(rank, size) of an MPI-style launcher with more than one process, or null.</summary>
    public static (int Rank, int Size, string Source)? MpiWorld(IReadOnlyDictionary<string, string> env)
    {
        foreach (var (rank, size) in new[] { ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMI_RANK", "PMI_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS") })
        {
            if (Int(env, size) is int n && n > 1 && Int(env, rank) is int r) return (r, n, $"{rank}/{size}");
        }
        return null;
    }

    /// <summary>
    /// The shard of a sampling or evaluation job given by the launcher: an MPI world, a Slurm job array, or a
    /// Kubernetes indexed job (JOB_COMPLETION_INDEX, with the count in VDM_SHARD_COUNT since Kubernetes does not
    /// export it). Null when the process is alone.
    /// </summary>
    public static (int Index, int Count, string Source)? Shard(IReadOnlyDictionary<string, string> env)
    {
        if (MpiWorld(env) is { } world) return world;
        if (Int(env, "SLURM_ARRAY_TASK_COUNT") is int count && count > 1 && Int(env, "SLURM_ARRAY_TASK_ID") is int id)
        {
            int min = Int(env, "SLURM_ARRAY_TASK_MIN") ?? 0; // arrays may start at 1 (--array=1-4)
            return (id - min, count, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
        }
        if (Int(env, "JOB_COMPLETION_INDEX") is int index && Int(env, "VDM_SHARD_COUNT") is int total && total > 1)
            return (index, total, "JOB_COMPLETION_INDEX/VDM_SHARD_COUNT");
        return null;
    }

    private static int? Int(IReadOnlyDictionary<string, string> env, string name) =>
        env.TryGetValue(name, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
