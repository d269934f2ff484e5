using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using Vdm.Diffusion;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// One file holding everything a run needs to continue exactly: config, step, model, EMA, optimiser, RNG states.
/// Layout: magic "VDMCKPT\0", format version (int32), payload length (int64), SHA-256 of the payload, payload.
/// Written atomically (temp file in the same folder, flush to disk, rename); verified before anything is loaded.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "VDMCKPT\0"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 8 + 32;

    /// <summary>File name of the checkpoint of a step: <c>step-00001234.ckpt</c>.</summary>
    public static string FileName(long step) => $"step-{step:D8}.ckpt";

    public static void Save(string path, RunConfig config, Trainer trainer)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(config.ToJson());
            writer.Write(trainer.Step);
            writer.Write(trainer.NonFiniteTotal);
            trainer.Model.save(writer);
            writer.Write(trainer.Ema.Updates);
            writer.Write(trainer.Ema.Shadows.Count);
            foreach (var (name, shadow) in trainer.Ema.Shadows)
            {
                writer.Write(name);
                shadow.Save(writer);
            }
            trainer.Optimizer.save_state_dict(writer);
            using var generatorState = trainer.Generator.get_state();
            generatorState.Save(writer);
            using var globalState = get_rng_state();
            globalState.Save(writer);
        }

        var bytes = payload.ToArray();
        foreach (var (_, shadow) in trainer.Ema.Shadows) ThrowIfNonFinite(shadow, path);
        WriteAtomically(path, bytes);
    }

    private static void ThrowIfNonFinite(Tensor t, string path)
    {
        using var finite = t.isfinite().all();
        if (!finite.item<bool>()) throw new CheckpointException($"{path}: refusing to save non-finite parameters");
    }

    private static void WriteAtomically(string path, byte[] payload)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(Magic);
                file.Write(BitConverter.GetBytes(FormatVersion));
                file.Write(BitConverter.GetBytes((long)payload.Length));
                file.Write(SHA256.HashData(payload));
                file.Write(payload);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Reads and verifies a checkpoint file; returns its payload as a reader positioned at the start.</summary>
    public static BinaryReader OpenVerified(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read checkpoint: {e.Message}", e);
        }
        if (data.Length < HeaderLength || !data.AsSpan(0, 8).SequenceEqual(Magic))
            throw new CheckpointException($"{path}: not a Vdm checkpoint (bad magic or too short)");
        int version = BitConverter.ToInt32(data, 8);
        if (version != FormatVersion)
            throw new CheckpointException($"{path}: checkpoint format version {version}, this build reads version {FormatVersion}");
        long length = BitConverter.ToInt64(data, 12);
        if (length != data.Length - HeaderLength)
            throw new CheckpointException($"{path}: truncated or padded checkpoint (payload {data.Length - HeaderLength} bytes, header says {length})");
        var payload = new ReadOnlySpan<byte>(data, HeaderLength, (int)length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(data.AsSpan(20, 32)))
            throw new CheckpointException($"{path}: checksum mismatch: the checkpoint is corrupt");
        return new BinaryReader(new MemoryStream(data, HeaderLength, (int)length, writable: false), Encoding.UTF8);
    }

    /// <summary>Reads only the config stored in a checkpoint (verifying the file).</summary>
    public static RunConfig ReadConfig(string path)
    {
        using var reader = OpenVerified(path);
        return ParseConfig(reader.ReadString(), path);
    }

    private static RunConfig ParseConfig(string json, string path)
    {
        try
        {
            return RunConfig.FromJson(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CheckpointException($"{path}: the embedded config is invalid: {e.Message}", e);
        }
    }

    /// <summary>Restores a trainer (model, EMA, optimiser, RNG states, step) from a checkpoint made with the same config.</summary>
    public static void Restore(string path, RunConfig expected, Trainer trainer)
    {
        using var reader = OpenVerified(path);
        var stored = ParseConfig(reader.ReadString(), path);
        if (!SameModel(stored, expected))
            throw new CheckpointException($"{path}: the checkpoint was made for a different model or data config than config.json");
        try
        {
            trainer.Step = reader.ReadInt64();
            trainer.NonFiniteTotal = reader.ReadInt64();
            trainer.Model.load(reader);
            trainer.Ema.Updates = reader.ReadInt64();
            int count = reader.ReadInt32();
            if (count != trainer.Ema.Shadows.Count) throw new CheckpointException($"{path}: EMA has {count} tensors, the model {trainer.Ema.Shadows.Count}");
            foreach (var (name, shadow) in trainer.Ema.Shadows)
            {
                var storedName = reader.ReadString();
                if (storedName != name) throw new CheckpointException($"{path}: EMA tensor '{storedName}' where '{name}' was expected");
                shadow.Load(reader);
            }
            trainer.Optimizer.load_state_dict(reader);
            using var generatorState = TensorExtensionMethods.Load(reader);
            trainer.Generator.set_state(generatorState);
            using var globalState = TensorExtensionMethods.Load(reader);
            set_rng_state(globalState);
        }
        catch (Exception e) when (e is ArgumentException or EndOfStreamException or InvalidOperationException)
        {
            throw new CheckpointException($"{path}: does not match this model: {e.Message}", e);
        }
    }

    /// <summary>Loads a model for sampling or evaluation from a run folder (its newest valid checkpoint) or a checkpoint file.</summary>
    public static LoadedModel LoadModel(string runDirOrCheckpoint, bool ema = true)
    {
        string path = Directory.Exists(runDirOrCheckpoint)
            ? RunFolder.NewestValidCheckpoint(runDirOrCheckpoint, out _)
                ?? throw new CheckpointException($"{runDirOrCheckpoint}: the run has no valid checkpoint")
            : File.Exists(runDirOrCheckpoint)
                ? runDirOrCheckpoint
                : throw new CheckpointException($"{runDirOrCheckpoint}: no such run folder or checkpoint file");
        var config = ReadConfig(path);
        var model = ModelFactory.Build(config);
        using var trainer = new Trainer(model, config.Train, config.Model.NumClasses);
        Restore(path, config, trainer);
        if (ema) trainer.Ema.CopyTo(model);
        model.eval();
        return new LoadedModel(config, model, trainer.Step, path);
    }

    /// <summary>Two configs describe the same parameters (model, schedule, data levels) whatever their training options.</summary>
    public static bool SameModel(RunConfig a, RunConfig b) =>
        System.Text.Json.JsonSerializer.Serialize(a.Model, RunConfig.JsonOptions) == System.Text.Json.JsonSerializer.Serialize(b.Model, RunConfig.JsonOptions)
        && a.Schedule == b.Schedule
        && a.Diffusion.Vocab == b.Diffusion.Vocab;
}

/// <summary>A model restored from a checkpoint, ready for sampling or evaluation.</summary>
public sealed record LoadedModel(RunConfig Config, VariationalDiffusionModel Model, long Step, string Path) : IDisposable
{
    public void Dispose() => Model.Dispose();
}
