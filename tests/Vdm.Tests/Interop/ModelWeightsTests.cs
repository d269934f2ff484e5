using System.Buffers.Binary;
using System.Text.Json.Nodes;
using System.Text;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Interop;
using Vdm.Networks;
using Vdm.Persistence;
using Vdm.Schedules;
using Vdm.Tests.Data;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Interop;

/// <summary>Exported weights: export → import round trips bit for bit, and a safetensors file written here by hand
/// (header JSON + raw little-endian floats, independent of TorchSharp.PyBridge) loads.</summary>
public class ModelWeightsTests
{
    /// <summary>A small multi-resolution U-Net on 1×8×8 images with a learned schedule, 3 classes.</summary>
    internal static RunConfig SmallConfig() => Presets.Get("tiny") with
    {
        Dataset = "mnist",
        Model = Presets.Get("tiny").Model with { DataShape = [1, 8, 8], Channels = 8, ChannelMultipliers = [1, 2], Blocks = 1, NumClasses = 3, Dropout = 0 },
        Schedule = new ScheduleConfig { Kind = ScheduleKind.LearnedScalar },
    };

    /// <summary>The model with every tensor moved off its initial value (the output convolution starts at zero).</summary>
    internal static VariationalDiffusionModel Perturbed(RunConfig config, int seed)
    {
        var model = ModelFactory.Build(config);
        using var noGrad = no_grad();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        foreach (var (_, p) in model.named_parameters()) p.add_(randn(p.shape, generator: generator) * 0.05);
        model.eval();
        return model;
    }

    /// <summary>ε̂ on a fixed batch (fixed z, γ and labels).</summary>
    internal static float[] EpsHat(VariationalDiffusionModel model)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(7);
        var z = randn([4, 1, 8, 8], generator: generator);
        var gamma = model.Schedule.forward(tensor(new float[] { 0.1f, 0.4f, 0.7f, 0.95f }));
        using var noGrad = no_grad();
        return model.EpsHat(z, gamma, tensor(new long[] { 0, 1, 2, 0 })).data<float>().ToArray();
    }

    [Theory]
    [InlineData(WeightsFormat.Safetensors)]
    [InlineData(WeightsFormat.PyTorch)]
    public void Export_then_import_gives_bit_identical_eps_hat(WeightsFormat format)
    {
        using var temp = new TempFolder();
        var config = SmallConfig();
        using var original = Perturbed(config, 1);
        var expected = EpsHat(original);
        Assert.Contains(expected, v => Math.Abs(v) > 1e-3);

        var file = temp.File("first" + ModelWeights.Extension(format));
        ModelWeights.Write(original, config, file, format, step: 12);
        var json = JsonNode.Parse(File.ReadAllText(ModelWeights.JsonPathFor(file)))!;
        var names = json["tensors"]!.AsArray().Select(t => (string)t!["name"]!).ToList();
        Assert.Contains("network.conv_in.weight", names);
        Assert.Contains(names, n => n.StartsWith("schedule.", StringComparison.Ordinal));
        Assert.All(names, n => Assert.Equal(n.ToLowerInvariant(), n));

        var run = ModelWeights.Import(file, ModelWeights.JsonPathFor(file), temp.File("run"));
        using (var loaded = Checkpoint.LoadModel(run))
        {
            Assert.Equal(12, loaded.Step);
            Assert.Equal(expected, EpsHat(loaded.Model));

            // The imported run exports again (EMA weights, which import set to the file's) to the same numbers.
            var again = temp.File("again" + ModelWeights.Extension(format));
            var result = ModelWeights.Export(run, again, format);
            Assert.Equal("ema", result.Weights);
            using var reloaded = ModelWeights.Load(again, config);
            Assert.Equal(expected, EpsHat(reloaded));
        }

        // A run's own config.json also describes the model (step 0); a config of another shape is refused, naming the tensor.
        var runConfig = temp.File("config.json");
        File.WriteAllText(runConfig, config.ToJson());
        using (var fromRunConfig = Checkpoint.LoadModel(ModelWeights.Import(file, runConfig, temp.File("run2"))))
            Assert.Equal(expected, EpsHat(fromRunConfig.Model));
        var wider = temp.File("wider.json");
        File.WriteAllText(wider, (config with { Model = config.Model with { Channels = 16 } }).ToJson());
        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.Import(file, wider, temp.File("run3")));
        Assert.Matches("tensor .network\\.[a-z0-9_.]+. has shape .* the model needs", e.Message);
        Assert.False(Directory.Exists(temp.File("run3")));
    }

    [Fact]
    public void A_safetensors_file_from_an_independent_writer_loads()
    {
        using var temp = new TempFolder();
        var config = SmallConfig();
        using var reference = ModelFactory.Build(config);
        var named = ModelWeights.Named(reference);

        // The safetensors layout, written by hand: u64 LE header length, header JSON, then each tensor's F32 LE bytes.
        var header = new JsonObject();
        var data = new MemoryStream();
        var values = new Dictionary<string, float[]>();
        var four = new byte[4];
        foreach (var (name, _, tensor) in named)
        {
            var v = Enumerable.Range(0, (int)tensor.numel()).Select(i => (float)Math.Sin(i + name.Length)).ToArray();
            values[name] = v;
            long begin = data.Length;
            foreach (var f in v)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, f);
                data.Write(four);
            }
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var path = temp.File("hand.safetensors");
        using (var file = File.Create(path))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
            file.Write(length);
            file.Write(headerBytes);
            file.Write(data.ToArray());
        }

        using var model = ModelWeights.Load(path, config);
        foreach (var (name, _, tensor) in ModelWeights.Named(model))
            Assert.Equal(values[name], tensor.contiguous().data<float>().ToArray());

        // A file missing one tensor is refused, naming the tensor and the file.
        var dict = ModelWeights.Read(path);
        dict.Remove("network.conv_out.bias");
        var partial = temp.File("partial.safetensors");
        TorchSharp.PyBridge.Safetensors.SaveStateDict(partial, dict);
        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.Load(partial, config));
        Assert.Contains("network.conv_out.bias", e.Message);
        Assert.Contains(partial, e.Message);
    }
}
