namespace Vdm.Training;

/// <summary>
/// The layout of a run folder: <c>config.json</c>, <c>metrics.jsonl</c>, <c>checkpoints/step-N.ckpt</c>,
/// <c>samples/</c>, <c>tensorboard/</c>, and a <c>run.lock</c> holding the owner's process id while it trains.
/// </summary>
public sealed class RunFolder
{
    public RunFolder(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string ConfigPath => Path.Combine(Root, "config.json");

    public string MetricsPath => Path.Combine(Root, "metrics.jsonl");

    public string CheckpointDir => Path.Combine(Root, "checkpoints");

    public string SamplesDir => Path.Combine(Root, "samples");

    public string TensorBoardDir => Path.Combine(Root, "tensorboard");

    public string LockPath => Path.Combine(Root, "run.lock");

    /// <summary>Checkpoint files, newest step first.</summary>
    public IReadOnlyList<string> Checkpoints() =>
        Directory.Exists(CheckpointDir)
            ? Directory.GetFiles(CheckpointDir, "step-*.ckpt").OrderByDescending(Path.GetFileName, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The newest checkpoint that verifies; <paramref name="skipped"/> lists the newer ones that did not, with why.</summary>
    public static string? NewestValidCheckpoint(string root, out List<string> skipped)
    {
        skipped = [];
        foreach (var path in new RunFolder(root).Checkpoints())
        {
            try
            {
                using var reader = Checkpoint.OpenVerified(path);
                return path;
            }
            catch (CheckpointException e)
            {
                skipped.Add(e.Message);
            }
        }
        return null;
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public void Prune(int keep)
    {
        foreach (var old in Checkpoints().Skip(keep)) File.Delete(old);
    }

    /// <summary>Takes the run's lock; fails when a live process holds it (a stale lock from a dead process is taken over).</summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Root);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using (var file = new FileStream(LockPath, FileMode.CreateNew, FileAccess.Write))
                using (var writer = new StreamWriter(file))
                    writer.Write(Environment.ProcessId);
                return new LockHandle(LockPath);
            }
            catch (IOException) when (File.Exists(LockPath))
            {
                var owner = File.ReadAllText(LockPath).Trim();
                if (int.TryParse(owner, out var pid) && IsAlive(pid))
                    throw new InvalidOperationException($"{Root}: the run is in use by process {pid} (lock file {LockPath})");
                File.Delete(LockPath); // stale: its owner is gone
            }
        }
        throw new InvalidOperationException($"{Root}: could not take the run lock {LockPath}");
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        return OperatingSystem.IsLinux() ? Directory.Exists($"/proc/{pid}") : ProcessExists(pid);
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed class LockHandle(string path) : IDisposable
    {
        public void Dispose()
        {
            try { File.Delete(path); } catch (IOException) { }
        }
    }
}
