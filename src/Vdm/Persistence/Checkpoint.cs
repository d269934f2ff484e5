using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using Vdm.Diffusion;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Persistence;

/// <summary>
/// One file holding everything a run needs to continue exactly: config, training state, model, EMA, optimiser, RNG
/// states. Layout: magic "VDMCKPT\0", format version (int32), payload length (int64), SHA-256 of the model-relevant
/// config (<see cref="ConfigHash"/>), checksum, payload. The checksum is the SHA-256 of everything else in the file
/// (header fields and payload), so a flipped bit anywhere is detected.
/// Payload of version 3: config JSON, <see cref="TrainingState"/> JSON, model weights, EMA averages (count, then
/// name and tensor each), optimiser state, trainer and global RNG states. The weights come before everything only
/// training needs, so sampling and evaluation read a prefix and build no optimiser (<see cref="LoadModel"/>).
/// Version 2 (read, never written) had step and non-finite count as int64 before the weights and the EMA's update
/// count as int64 after them.
/// Written atomically (temp file in the same folder, flush to disk, rename, flush of the folder); verified before
/// anything is loaded; never written with a non-finite parameter.
/// </summary>
public static class Checkpoint
{
    /// <summary>The version this build writes. Version 1 had no config hash in the header; version 2 is still read.</summary>
    public const int FormatVersion = 3;

    /// <summary>The oldest version this build reads.</summary>
    public const int OldestReadableVersion = 2;
    private static readonly byte[] Magic = "VDMCKPT\0"u8.ToArray();
    private const int HashLength = 32;
    private const int ConfigHashOffset = 8 + 4 + 8;
    private const int PayloadHashOffset = ConfigHashOffset + HashLength;
    private const int HeaderLength = PayloadHashOffset + HashLength;

    /// <summary>File name of the checkpoint of a step: <c>step-00001234.ckpt</c>.</summary>
    public static string FileName(long step) => $"step-{step:D8}.ckpt";

    /// <summary>The step in a checkpoint's file name (<see cref="FileName"/>); null for another name.</summary>
    public static long? StepOf(string path)
    {
        var name = Path.GetFileName(path);
        if (!name.StartsWith("step-", StringComparison.Ordinal) || !name.EndsWith(".ckpt", StringComparison.Ordinal)) return null;
        return long.TryParse(name.AsSpan(5, name.Length - 10), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    /// <summary>
    /// SHA-256 of the parts of a config that decide the shape and meaning of the parameters (model, schedule, data
    /// levels); training options (steps, learning rate, cadence) do not change it.
    /// </summary>
    public static byte[] ConfigHash(RunConfig config)
    {
        var modelPart = System.Text.Json.JsonSerializer.SerializeToNode(new Dictionary<string, object>
        {
            ["model"] = config.Model,
            ["schedule"] = config.Schedule,
            ["vocab"] = config.Diffusion.Vocab,
        }, RunConfig.JsonOptions)!;
        // How the schedule's shape is trained does not change what its parameters mean; and a field that entered the
        // hash would change it for every checkpoint written before the field existed.
        modelPart["schedule"]!.AsObject().Remove("minimiseVariance");
        // Patches change the parameters' meaning, but pixels (P = 1) are what every checkpoint before the field had.
        if (config.Model.PatchSize == 1) modelPart["model"]!.AsObject().Remove("patchSize");
        // Likewise bias conditioning (scaleShift off) is what every checkpoint before that field had.
        if (!config.Model.ScaleShift) modelPart["model"]!.AsObject().Remove("scaleShift");
        return SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(modelPart.ToJsonString(RunConfig.JsonOptions)));
    }

    public static void Save(string path, RunConfig config, Trainer trainer) => Save(path, config, trainer, null);

    /// <param name="streamFilter">Test seam: wraps the stream on the temporary file (e.g. to inject an I/O error).</param>
    internal static void Save(string path, RunConfig config, Trainer trainer, Func<Stream, Stream>? streamFilter)
    {
        // A checkpoint is the state a run falls back to: it must never hold NaN or Inf weights.
        foreach (var (name, parameter) in trainer.Model.named_parameters()) ThrowIfNonFinite(parameter, $"parameter '{name}'", path);
        foreach (var (name, shadow) in trainer.Ema.Shadows) ThrowIfNonFinite(shadow, $"EMA of '{name}'", path);

        // Tensor.Save copies a tensor on another device to the CPU first: a checkpoint holds CPU tensors whatever the device.
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(config.ToJson());
            writer.Write(TrainingState.Of(trainer).ToJson());
            trainer.Model.save(writer);
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

        var bytes = payload.GetBuffer().AsMemory(0, (int)payload.Length);
        var header = new byte[HeaderLength];
        Magic.CopyTo(header, 0);
        BitConverter.TryWriteBytes(header.AsSpan(8), FormatVersion);
        BitConverter.TryWriteBytes(header.AsSpan(12), (long)bytes.Length);
        ConfigHash(config).CopyTo(header, ConfigHashOffset);
        Checksum(header, bytes.Span).CopyTo(header, PayloadHashOffset);
        AtomicFile.Write(path, file =>
        {
            var target = streamFilter?.Invoke(file) ?? file;
            target.Write(header);
            target.Write(bytes.Span);
            target.Flush();
        });
    }

    /// <summary>SHA-256 of the header fields before the checksum, then the payload.</summary>
    private static byte[] Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header[..PayloadHashOffset]);
        sha.AppendData(payload);
        return sha.GetHashAndReset();
    }

    private static void ThrowIfNonFinite(Tensor t, string what, string path, bool loading = false)
    {
        using var finite = t.detach().isfinite().all();
        if (!finite.item<bool>())
            throw new CheckpointException(loading
                ? $"{path}: the checkpoint holds a non-finite {what}"
                : $"{path}: refusing to save a checkpoint with a non-finite {what}");
    }

    /// <summary>Reads and verifies a checkpoint file; returns its payload as a reader positioned at the start.</summary>
    public static BinaryReader OpenVerified(string path) => OpenVerified(path, out _, out _);

    /// <summary>Reads and verifies a checkpoint file (magic, version, length, payload checksum); also returns the config hash of its header and the format version.</summary>
    public static BinaryReader OpenVerified(string path, out byte[] configHash, out int version)
    {
        // A FIFO would block the open and a device (a link to /dev/zero) would be read without end: regular files only.
        if (FileKind.IsSpecial(path, out var kind)) throw new CheckpointException($"{path}: is a {kind}, not a checkpoint file");
        byte[] data;
        try
        {
            // Read exactly the size the file had when opened: memory is bounded by the file, whatever it declares.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length > Array.MaxLength) throw new CheckpointException($"{path}: {file.Length} bytes, larger than any checkpoint this build writes");
            data = new byte[file.Length];
            file.ReadExactly(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            throw new CheckpointException($"{path}: cannot read checkpoint: {e.Message}", e);
        }
        if (data.Length < 12 || !data.AsSpan(0, 8).SequenceEqual(Magic))
            throw new CheckpointException($"{path}: not a Vdm checkpoint (bad magic or too short)");
        version = BitConverter.ToInt32(data, 8);
        if (version < OldestReadableVersion || version > FormatVersion)
            throw new CheckpointException($"{path}: checkpoint format version {version}, this build reads versions {OldestReadableVersion} to {FormatVersion}");
        if (data.Length < HeaderLength)
            throw new CheckpointException($"{path}: truncated checkpoint ({data.Length} bytes, shorter than the {HeaderLength}-byte header)");
        long length = BitConverter.ToInt64(data, 12);
        if (length != data.Length - HeaderLength)
            throw new CheckpointException($"{path}: truncated or padded checkpoint (payload {data.Length - HeaderLength} bytes, header says {length})");
        var payload = new ReadOnlySpan<byte>(data, HeaderLength, (int)length);
        if (!Checksum(data, payload).AsSpan().SequenceEqual(data.AsSpan(PayloadHashOffset, HashLength)))
            throw new CheckpointException($"{path}: checksum mismatch: the checkpoint is corrupt");
        configHash = data.AsSpan(ConfigHashOffset, HashLength).ToArray();
        return new BinaryReader(new MemoryStream(data, HeaderLength, (int)length, writable: false), Encoding.UTF8);
    }

    /// <summary>Reads only the config stored in a checkpoint (verifying the file).</summary>
    public static RunConfig ReadConfig(string path)
    {
        using var reader = OpenVerified(path, out var headerHash, out _);
        return ParseConfig(reader, headerHash, path);
    }

    /// <summary>Reads the embedded config and checks it against the header's config hash.</summary>
    private static RunConfig ParseConfig(BinaryReader reader, byte[] headerHash, string path)
    {
        RunConfig config;
        try
        {
            config = RunConfig.FromJson(reader.ReadString());
            config.Validate();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or EndOfStreamException or FormatException)
        {
            throw new CheckpointException($"{path}: the embedded config is invalid: {e.Message}", e);
        }
        if (!ConfigHash(config).AsSpan().SequenceEqual(headerHash))
            throw new CheckpointException($"{path}: the config hash in the header ({Short(headerHash)}) does not match the embedded config ({Short(ConfigHash(config))})");
        return config;
    }

    private static string Short(byte[] hash) => Convert.ToHexStringLower(hash)[..12];

    /// <summary>Throws <see cref="CheckpointException"/> when the checkpoint's header was made for another model than <paramref name="expected"/>.</summary>
    public static void CheckConfigHash(string path, RunConfig expected)
    {
        using var reader = OpenVerified(path, out var headerHash, out _);
        var expectedHash = ConfigHash(expected);
        if (!headerHash.AsSpan().SequenceEqual(expectedHash))
            throw new CheckpointException($"{path}: the checkpoint was made for a different model or data config than config.json (config hash {Short(headerHash)}, expected {Short(expectedHash)})");
    }

    /// <summary>Restores a trainer (model, EMA, optimiser, RNG states, training state) from a checkpoint made with the same config.</summary>
    public static void Restore(string path, RunConfig expected, Trainer trainer)
    {
        using var reader = OpenVerified(path, out var headerHash, out int version);
        var expectedHash = ConfigHash(expected);
        if (!headerHash.AsSpan().SequenceEqual(expectedHash))
            throw new CheckpointException($"{path}: the checkpoint was made for a different model or data config than config.json (config hash {Short(headerHash)}, expected {Short(expectedHash)})");
        ParseConfig(reader, headerHash, path);
        try
        {
            var state = ReadWeights(reader, version, path, trainer.Model, trainer.Ema.Shadows);
            trainer.Optimizer.load_state_dict(reader);
            // Loaded into tensors of the expected type and shape: Tensor.Load compares the stored dtype and shape with
            // them before it reads or allocates anything, so a forged shape (2^40 bytes) is refused, not allocated.
            using var generatorState = trainer.Generator.get_state();
            generatorState.Load(reader);
            trainer.Generator.set_state(generatorState);
            using var globalState = get_rng_state();
            globalState.Load(reader);
            set_rng_state(globalState);
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new CheckpointException($"{path}: {reader.BaseStream.Length - reader.BaseStream.Position} unexpected bytes after the optimiser and RNG states");
            state.ApplyTo(trainer);
        }
        catch (Exception e) when (IsMismatch(e))
        {
            throw new CheckpointException($"{path}: does not match this model: {e.Message}", e);
        }
        // Checkpoints are written only with finite weights: a non-finite one means the file is not what Save wrote.
        foreach (var (name, parameter) in trainer.Model.named_parameters()) ThrowIfNonFinite(parameter, $"parameter '{name}'", path, loading: true);
        foreach (var (name, shadow) in trainer.Ema.Shadows) ThrowIfNonFinite(shadow, $"EMA of '{name}'", path, loading: true);
    }

    private static bool IsMismatch(Exception e) =>
        e is ArgumentException or EndOfStreamException or InvalidOperationException or IOException or FormatException or NotImplementedException or OverflowException or System.Text.Json.JsonException;

    /// <summary>
    /// Reads the training state, the model's weights and the EMA averages (into <paramref name="shadows"/>, in the
    /// model's parameter order) from a payload positioned after the config, in either readable format version.
    /// </summary>
    private static TrainingState ReadWeights(BinaryReader reader, int version, string path, nn.Module model, IReadOnlyList<(string Name, Tensor Shadow)> shadows)
    {
        TrainingState state;
        if (version >= 3)
        {
            state = TrainingState.FromJson(reader.ReadString());
            model.load(reader);
        }
        else
        {
            long step = reader.ReadInt64(), nonFinite = reader.ReadInt64();
            model.load(reader);
            state = new TrainingState { Step = step, NonFiniteTotal = nonFinite, EmaUpdates = reader.ReadInt64() };
        }
        int count = reader.ReadInt32();
        if (count != shadows.Count) throw new CheckpointException($"{path}: EMA has {count} tensors, the model {shadows.Count}");
        foreach (var (name, shadow) in shadows)
        {
            var storedName = reader.ReadString();
            if (storedName != name) throw new CheckpointException($"{path}: EMA tensor '{storedName}' where '{name}' was expected");
            shadow.Load(reader);
        }
        return state;
    }

    /// <summary>
    /// Loads a model for sampling or evaluation from a run folder (its newest valid checkpoint) or a checkpoint file.
    /// A run that is training prunes old checkpoints: one removed while it is read is reported in
    /// <see cref="LoadedModel.Skipped"/> and the next newest is used.
    /// </summary>
    /// <param name="device">Where the model is loaded (default: the CPU); checkpoints hold CPU tensors.</param>
    public static LoadedModel LoadModel(string runDirOrCheckpoint, bool ema = true, Device? device = null)
    {
        if (!Directory.Exists(runDirOrCheckpoint))
        {
            if (!File.Exists(runDirOrCheckpoint) && FileKind.Describe(runDirOrCheckpoint) is null)
                throw new CheckpointException($"{runDirOrCheckpoint}: no such run folder or checkpoint file");
            return LoadFile(runDirOrCheckpoint, ema, [], device);
        }
        var removed = new List<string>();
        for (int attempt = 0; ; attempt++)
        {
            var path = RunFolder.NewestValidCheckpoint(runDirOrCheckpoint, out var skipped)
                ?? throw new CheckpointException($"{runDirOrCheckpoint}: the run has no valid checkpoint{(skipped.Count > 0 ? $" ({skipped[0]})" : "")}");
            AfterChoosingCheckpoint?.Invoke(path);
            try
            {
                return LoadFile(path, ema, [.. removed, .. skipped], device);
            }
            catch (CheckpointException) when (attempt < 5 && !File.Exists(path))
            {
                removed.Add($"{path}: removed while it was being read (pruned by the training run)");
            }
        }
    }

    /// <summary>Test seam: called with the checkpoint <see cref="LoadModel"/> chose, before it is read (e.g. to prune it).</summary>
    internal static Action<string>? AfterChoosingCheckpoint { get; set; }

    /// <summary>Reads the config, the weights and the EMA averages only: no trainer, no optimiser (version 3 puts them first).</summary>
    private static LoadedModel LoadFile(string path, bool ema, List<string> skipped, Device? device)
    {
        using var reader = OpenVerified(path, out var headerHash, out int version);
        var config = ParseConfig(reader, headerHash, path);
        var model = ModelFactory.Build(config, device); // each stored CPU tensor is read into the model's device tensors
        try
        {
            TrainingState state;
            using (var noGrad = no_grad())
            using (var scope = NewDisposeScope()) // frees the averages read beside the weights
            {
                var parameters = model.parameters().ToArray();
                var averages = model.named_parameters().Select(p => (p.name, p.parameter.detach().clone())).ToArray();
                try
                {
                    state = ReadWeights(reader, version, path, model, averages);
                }
                catch (Exception e) when (IsMismatch(e))
                {
                    throw new CheckpointException($"{path}: does not match this model: {e.Message}", e);
                }
                if (ema)
                {
                    for (int i = 0; i < parameters.Length; i++) parameters[i].copy_(averages[i].Item2);
                }
            }
            foreach (var (name, parameter) in model.named_parameters()) ThrowIfNonFinite(parameter, $"{(ema ? "EMA of" : "parameter")} '{name}'", path, loading: true);
            model.eval();
            return new LoadedModel(config, model, state.Step, path) { Skipped = skipped };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Two configs describe the same parameters (model, schedule, data levels) whatever their training options.</summary>
    public static bool SameModel(RunConfig a, RunConfig b) => ConfigHash(a).AsSpan().SequenceEqual(ConfigHash(b));
}

/// <summary>A model restored from a checkpoint, ready for sampling or evaluation.</summary>
public sealed record LoadedModel(RunConfig Config, VariationalDiffusionModel Model, long Step, string Path) : IDisposable
{
    /// <summary>Newer checkpoints of the run that did not verify, each with why (the caller says so).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    public void Dispose() => Model.Dispose();
}
