using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using TorchSharp.PyBridge;
using TorchSharp;
using Vdm.Diffusion;
using Vdm.Persistence;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Interop;

/// <summary>File formats of exported weights.</summary>
public enum WeightsFormat
{
    /// <summary>Hugging Face safetensors: JSON header + raw little-endian tensors.</summary>
    Safetensors,

    /// <summary>PyTorch's <c>torch.save(state_dict)</c> zip format (.pth), readable with <c>torch.load</c>.</summary>
    PyTorch,
}

/// <summary>What <see cref="ModelWeights.Export"/> wrote.</summary>
public sealed record ExportResult(string WeightsPath, string JsonPath, int Tensors, long Step, string Weights, double CheckSum);

/// <summary>
/// A model's state dict in files other tools read, and back. Names are PyTorch-style: the module path of each
/// tensor, dot-separated, every segment in snake_case (TorchSharp's <c>Network.down.0.conv1.weight</c> becomes
/// <c>network.down.0.conv1.weight</c>), which is what a PyTorch module with the same attribute names produces
/// (docs/pytorch.md). Next to the weights a JSON file holds the run's config, the step, which weights (EMA or online)
/// and the naming: every tensor's PyTorch name, Vdm name and shape. Files are written by TorchSharp.PyBridge, and
/// atomically (a temporary file renamed when complete).
/// </summary>
public static class ModelWeights
{
    /// <summary>Value of the JSON file's "format" field.</summary>
    public const string JsonFormat = "vdm-weights/1";

    /// <summary>The PyTorch-style name of a TorchSharp state-dict key (a property's backing field
    /// <c>&lt;Network&gt;k__BackingField</c> named as the property, <c>network</c>).</summary>
    public static string PyTorchName(string name) => string.Join('.', name.Split('.').Select(s => SnakeCase(BackingField(s))));

    private static string BackingField(string segment) =>
        segment.StartsWith('<') && segment.EndsWith(">k__BackingField", StringComparison.Ordinal) ? segment[1..segment.IndexOf('>', StringComparison.Ordinal)] : segment;

    /// <summary>The model's tensors (parameters and buffers) under their PyTorch-style names, in state-dict order.</summary>
    public static IReadOnlyList<(string Name, string VdmName, Tensor Tensor)> Named(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var list = new List<(string, string, Tensor)>();
        foreach (var (name, tensor) in model.state_dict()) list.Add((PyTorchName(name), name, tensor));
        var duplicate = list.GroupBy(e => e.Item1).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"two tensors share the PyTorch name {duplicate.Key}");
        return list;
    }

    /// <summary>The file name ending of a format: .safetensors or .pth.</summary>
    public static string Extension(WeightsFormat format) => format == WeightsFormat.Safetensors ? ".safetensors" : ".pth";

    /// <summary>The JSON file that goes with a weights file: same name, ending .json.</summary>
    public static string JsonPathFor(string weightsPath) => Path.ChangeExtension(weightsPath, ".json");

    /// <summary>
    /// Writes the model of <paramref name="runOrCheckpoint"/> (EMA weights unless <paramref name="online"/>) to
    /// <paramref name="weightsPath"/> and its JSON next to it.
    /// </summary>
    public static ExportResult Export(string runOrCheckpoint, string weightsPath, WeightsFormat format, bool online = false)
    {
        using var loaded = Checkpoint.LoadModel(runOrCheckpoint, ema: !online);
        var weights = online ? "online" : "ema";
        int count = Write(loaded.Model, loaded.Config, weightsPath, format, loaded.Step, weights, loaded.Path);
        var check = CheckValue(loaded.Model, loaded.Config.Model.DataShape);
        return new ExportResult(Path.GetFullPath(weightsPath), JsonPathFor(Path.GetFullPath(weightsPath)), count, loaded.Step, weights, check.Sum);
    }

    /// <summary>Writes <paramref name="model"/>'s state dict and the JSON describing it; returns the number of tensors.</summary>
    public static int Write(VariationalDiffusionModel model, RunConfig config, string weightsPath, WeightsFormat format, long step = 0, string weights = "ema", string? source = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        var named = Named(model);
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, _, tensor) in named) dict[name] = tensor.detach().contiguous();
        var full = Path.GetFullPath(weightsPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, stream =>
        {
            if (format == WeightsFormat.Safetensors) Safetensors.SaveStateDict(stream, dict, leaveOpen: true);
            else PyTorchPickler.PickleStateDict(stream, dict, leaveOpen: true);
        });

        var json = new JsonObject
        {
            ["format"] = JsonFormat,
            ["weightsFile"] = Path.GetFileName(full),
            ["fileFormat"] = format == WeightsFormat.Safetensors ? "safetensors" : "pytorch",
            ["weights"] = weights,
            ["step"] = step,
            ["source"] = source,
            ["naming"] = "PyTorch-style: module path, dot-separated, snake_case segments; vdmName is the TorchSharp state-dict key",
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["check"] = Check(model, config.Model.DataShape),
            ["tensors"] = new JsonArray(named.Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n.Name,
                ["vdmName"] = n.VdmName,
                ["shape"] = new JsonArray(n.Tensor.shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["dtype"] = n.Tensor.dtype.ToString().ToLowerInvariant(),
            }).ToArray()),
        };
        AtomicFile.WriteAllBytes(JsonPathFor(full), Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return named.Count;
    }

    /// <summary>Time of the check value (<see cref="CheckValue"/>).</summary>
    public const double CheckTime = 0.5;

    /// <summary>
    /// One number another implementation can reproduce: ε̂ of the model (null class if class-conditional) at
    /// t = <see cref="CheckTime"/> (γ from the model's schedule) for z = linspace(−2, 2, n) reshaped to [1, ...shape],
    /// summed over its n values, and its first value. docs/pytorch.md computes the same in PyTorch.
    /// </summary>
    public static (double Sum, double First) CheckValue(VariationalDiffusionModel model, long[] dataShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool training = model.training;
        model.eval();
        try
        {
            long n = dataShape.Aggregate(1L, (a, b) => a * b);
            var z = linspace(-2, 2, n, ScalarType.Float32).reshape([1, .. dataShape]);
            var gamma = model.Schedule.forward(tensor(new[] { (float)CheckTime }));
            var eps = model.EpsHat(z, gamma).to(ScalarType.Float64);
            return (eps.sum().item<double>(), eps.flatten()[0].item<double>());
        }
        finally
        {
            if (training) model.train();
        }
    }

    private static JsonObject Check(VariationalDiffusionModel model, long[] dataShape)
    {
        var (sum, first) = CheckValue(model, dataShape);
        long n = dataShape.Aggregate(1L, (a, b) => a * b);
        return new JsonObject
        {
            ["what"] = $"eps_hat at t = {CheckTime} for z = torch.linspace(-2, 2, {n}).reshape(1, {string.Join(", ", dataShape)}), null class",
            ["epsHatSum"] = sum,
            ["epsHatFirst"] = first,
        };
    }

    /// <summary>Reads a safetensors or PyTorch (.pth zip) state dict, telling them apart by their first bytes.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such weights file", path);
        var head = new byte[4];
        using (var probe = File.OpenRead(path)) probe.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        try
        {
            if (head.AsSpan().SequenceEqual("PK\u0003\u0004"u8))
            {
                var table = PyTorchUnpickler.UnpickleStateDict(path);
                var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (System.Collections.DictionaryEntry entry in table)
                    result[(string)entry.Key] = entry.Value as Tensor ?? throw new InvalidDataException($"{path}: entry {entry.Key} is not a tensor");
                return result;
            }

            return Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is not InvalidDataException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a readable safetensors or PyTorch state-dict file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Builds the model <paramref name="config"/> describes and loads <paramref name="weightsPath"/> into it. Every
    /// tensor must be there under its PyTorch-style name with the same shape, and nothing else; values must be finite.
    /// </summary>
    public static VariationalDiffusionModel Load(string weightsPath, RunConfig config)
    {
        var model = ModelFactory.Build(config);
        try
        {
            LoadInto(model, Read(weightsPath), weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        return model;
    }

    /// <summary>Copies <paramref name="tensors"/> (PyTorch-style names) into <paramref name="model"/>, strictly.</summary>
    public static void LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> tensors, string what)
    {
        var named = Named(model);
        var expected = named.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        if (tensors.Keys.FirstOrDefault(k => !expected.Contains(k)) is { } extra)
            throw new InvalidDataException($"{what}: tensor '{extra}' is not a parameter of the model the config describes");
        using var noGrad = no_grad();
        foreach (var (name, _, target) in named)
        {
            if (!tensors.TryGetValue(name, out var source)) throw new InvalidDataException($"{what}: tensor '{name}' is missing");
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{what}: tensor '{name}' has shape [{string.Join(", ", source.shape)}], the model needs [{string.Join(", ", target.shape)}]");
            using var finite = source.isfinite().all();
            if (!finite.item<bool>()) throw new InvalidDataException($"{what}: tensor '{name}' holds a non-finite value");
            target.copy_(source.to(target.dtype));
        }
    }

    /// <summary>
    /// Makes a run folder that <c>sample</c> and <c>eval</c> accept from an exported weights file and its JSON (or a
    /// run's config.json): config.json and one checkpoint whose online and EMA weights are the file's. The folder is
    /// assembled under a temporary name and renamed into place, so a failure leaves nothing behind.
    /// </summary>
    public static string Import(string weightsPath, string configPath, string runDir)
    {
        var (config, step) = ReadConfig(configPath);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir));
        if (File.Exists(root)) throw new ArgumentException($"{root}: is a file, not a run folder");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new ArgumentException($"{root}: the run folder exists and is not empty");

        using var model = Load(weightsPath, config);
        var staging = Path.Combine(Path.GetDirectoryName(root)!, $".{Path.GetFileName(root)}.import-{Guid.NewGuid():N}");
        try
        {
            var folder = new RunFolder(staging);
            Directory.CreateDirectory(folder.CheckpointDir);
            AtomicFile.WriteAllBytes(folder.ConfigPath, Encoding.UTF8.GetBytes(config.ToJson()));
            using (var trainer = new Trainer(model, config.Train, config.Model.NumClasses) { Step = step })
                Checkpoint.Save(Path.Combine(folder.CheckpointDir, Checkpoint.FileName(step)), config, trainer);
            if (Directory.Exists(root)) Directory.Delete(root);
            Directory.Move(staging, root);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }

        return root;
    }

    /// <summary>The config of an export's JSON (its "config" and "step"), or of a run's config.json (step 0).</summary>
    public static (RunConfig Config, long Step) ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
            var configNode = node["format"] is not null ? node["config"] ?? throw new JsonException("no \"config\" in the export's JSON") : node;
            var config = RunConfig.FromJson(configNode.ToJsonString());
            config.Validate();
            long step = node["step"] is JsonValue v && v.TryGetValue<long>(out var s) ? s : 0;
            return (config, step);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ArgumentException($"{path}: not a Vdm config: {e.Message}", e);
        }
    }

    private static string SnakeCase(string segment)
    {
        var builder = new StringBuilder(segment.Length + 4);
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && segment[i - 1] != '_' && (char.IsLower(segment[i - 1]) || (i + 1 < segment.Length && char.IsLower(segment[i + 1])))) builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
