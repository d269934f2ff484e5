
namespace Vdm.Persistence;

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
        var folder = new RunFolder(root);
        foreach (var path in folder.Checkpoints())
        {
            try
            {
                folder.CheckInside(path);
                using var reader = Checkpoint.OpenVerified(path);
                return path;
            }
            catch (CheckpointException e)
            {
                skipped.Add(e.Message);
            }
            catch (ArgumentException e)
            {
                skipped.Add(e.Message);
            }
        }
        return null;
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public void Prune(int keep)
    {
        // File.Delete removes a symbolic link itself, never its target.
        foreach (var old in Checkpoints().Skip(keep)) File.Delete(old);
    }

    /// <summary>
    /// Removes the hidden temporary files of atomic writes that a killed process left behind
    /// (<c>.step-….ckpt.….tmp</c>, <c>.config.json.….tmp</c>); call it only while holding the lock. Returns their names.
    /// </summary>
    public IReadOnlyList<string> RemovePartialWrites()
    {
        var removed = new List<string>();
        foreach (var dir in new[] { Root, CheckpointDir, SamplesDir })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var temp in Directory.GetFiles(dir, ".*.tmp"))
            {
                try
                {
                    File.Delete(temp);
                    removed.Add(Path.GetRelativePath(Root, temp));
                }
                catch (IOException)
                {
                }
            }
        }
        return removed;
    }

    /// <summary>The hidden file whose exclusive lock (flock, released by the kernel when its owner dies) guards the run.</summary>
    public string GuardPath => Path.Combine(Root, ".run.lock.guard");

    /// <summary>True when the folder holds nothing but the lock files of an owner that is gone (a run killed while starting).</summary>
    public bool HoldsOnlyStaleLock()
    {
        if (!Directory.Exists(Root)) return true;
        var names = Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).ToList();
        static bool LeftByAStart(string? n) => n is "run.lock" or ".run.lock.guard" || (n is not null && n.StartsWith('.') && n.EndsWith(".tmp", StringComparison.Ordinal));
        if (!names.All(LeftByAStart)) return false;
        return !File.Exists(LockPath) || ReadOwner() is not { } pid || !IsAlive(pid);
    }

    /// <summary>
    /// Takes the run's lock; fails with <see cref="RunInUseException"/> naming the owner's process id when a
    /// live process holds it. Two mechanisms: an exclusive flock on <see cref="GuardPath"/>, held while the run is
    /// open (the kernel drops it when the owner dies, even by kill -9), and <c>run.lock</c> holding the owner's pid
    /// for people and for file systems without flock. A lock left by a dead process is taken over.
    /// </summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Root);
        CheckLinks();
        FileStream guard;
        try
        {
            // FileShare.None: .NET takes flock(LOCK_EX | LOCK_NB) on Unix; a live holder makes this throw at once.
            guard = new FileStream(GuardPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"{Root}: cannot take the run's lock: {e.Message} (is the folder read-only?)", e);
        }
        catch (IOException e) when (!IsLockConflict(e))
        {
            // Disk full, read-only file system, I/O error: say what happened, not "in use".
            throw new IOException($"{Root}: cannot take the run's lock ({GuardPath}): {e.Message}", e);
        }
        catch (IOException)
        {
            var owner = ReadOwner();
            throw new RunInUseException(owner is { } pid
                ? $"{Root}: the run is in use by process {pid} (lock file {LockPath})"
                : $"{Root}: the run is in use by another process (lock file {GuardPath})");
        }
        try
        {
            // The guard is authoritative. run.lock can still name a live process that holds no guard: a Vdm on a file
            // system without flock. A recycled pid (common in containers after a restart) must not block the run
            // forever, so on Linux only a live .NET process counts.
            if (ReadOwner() is { } pid && pid != Environment.ProcessId && IsAlive(pid) && MayBeVdm(pid))
                throw new RunInUseException($"{Root}: the run is in use by process {pid} (lock file {LockPath})");
            // Whatever run.lock holds now is stale (its owner would hold the guard): replace it atomically.
            AtomicFile.WriteAllBytes(LockPath, System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return new LockHandle(LockPath, guard);
        }
        catch
        {
            guard.Dispose();
            throw;
        }
    }

    // .NET gives an IOException whose HResult is the errno for file-system errors: EROFS 30, ENOSPC 28, EIO 5,
    // EDQUOT 122 are failures of the disk, reported as such. Anything else from the exclusive open is a held lock.
    private static bool IsLockConflict(IOException e) => (e.HResult & 0xFFFF) is not (30 or 28 or 5 or 122);

    /// <summary>
    /// Refuses a run folder whose fixed files or folders are symbolic links leading outside it (a metrics.jsonl
    /// linked to a file elsewhere would otherwise be appended to), or are FIFOs or devices.
    /// </summary>
    public void CheckLinks()
    {
        foreach (var path in new[] { ConfigPath, MetricsPath, CheckpointDir, SamplesDir, TensorBoardDir, LockPath, GuardPath })
        {
            CheckInside(path);
            if (FileKind.IsSpecial(path, out var kind) && kind != "folder")
                throw new ArgumentException($"{path}: is a {kind}, not a file a run writes");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="path"/> is a symbolic link whose final target lies outside the run folder.</summary>
    public void CheckInside(string path)
    {
        FileSystemInfo? target;
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is null) return;
            target = info.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException e)
        {
            throw new ArgumentException($"{path}: is a symbolic link that cannot be resolved: {e.Message}", e);
        }
        var full = target is null ? null : Path.GetFullPath(target.FullName);
        if (full is null || !full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"{path}: is a symbolic link to {full ?? "nothing"}, outside the run folder {Root}; refusing to follow it");
    }

    private int? ReadOwner()
    {
        try
        {
            return int.TryParse(File.ReadAllText(LockPath).Trim(), out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        return OperatingSystem.IsLinux() ? Directory.Exists($"/proc/{pid}") : ProcessExists(pid);
    }

    private static bool MayBeVdm(int pid)
    {
        if (!OperatingSystem.IsLinux()) return true;
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Contains("dotnet", StringComparison.OrdinalIgnoreCase) || commandLine.Contains("vdm", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile
        }
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

    private sealed class LockHandle(string path, FileStream guard) : IDisposable
    {
        public void Dispose()
        {
            // run.lock goes first, while the guard is still held; the guard file stays (deleting it would let two
            // processes lock two different files of the same name).
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            guard.Dispose();
        }
    }
}
