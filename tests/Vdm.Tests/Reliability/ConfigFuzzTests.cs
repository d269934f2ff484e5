using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Vdm.Training;
using Xunit;
using Xunit.Abstractions;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Fuzzing of run-config loading (<see cref="RunConfig.FromJson"/> then <see cref="RunConfig.Validate"/>, the path
/// <c>config.json</c> takes): structurally mutated configs (values replaced by nulls, wrong types, boundary numbers,
/// deleted or unknown keys) and byte-level damage. Only <see cref="JsonException"/> and <see cref="ArgumentException"/>
/// may come out; a config that loads must validate and round-trip.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private const string Seed = "0N0XIzNsQ0O2";

    private static readonly string[] ValidJson = [.. new[] { "swirl", "mnist", "cifar10", "vdm", "tiny" }.Select(p => Presets.Get(p).ToJson())];

    private static readonly JsonNode?[] Hostile =
    [
        null, JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(1), JsonValue.Create(int.MaxValue), JsonValue.Create(int.MinValue),
        JsonValue.Create(long.MaxValue), JsonValue.Create(1e308), JsonValue.Create(-1e308), JsonValue.Create(0.5), JsonValue.Create(1e-320),
        JsonValue.Create(""), JsonValue.Create("x"), JsonValue.Create("fixedLinear"), JsonValue.Create("mlp"), JsonValue.Create(true),
        JsonValue.Create(99), new JsonArray(), new JsonArray(JsonValue.Create(-3)), new JsonArray(JsonValue.Create(0), JsonValue.Create(1)), new JsonObject(),
    ];

    /// <summary>Replaces, deletes or adds one value somewhere in the config tree.</summary>
    private static Gen<string> Structural => Gen.Select(Gen.Int[0, ValidJson.Length - 1], Gen.Int[0, 10_000], Gen.Int[0, Hostile.Length - 1], Gen.Int[0, 3],
        (which, pick, value, action) =>
        {
            var root = JsonNode.Parse(ValidJson[which])!;
            var slots = new List<(JsonNode Parent, string? Key, int Index)>();
            Collect(root, slots);
            var (parent, key, index) = slots[pick % slots.Count];
            var replacement = Hostile[value]?.DeepClone();
            switch (action, parent)
            {
                case (0, JsonObject o) when key is not null: o.Remove(key); break;
                case (1, JsonObject o): o["unknownKey"] = replacement; break;
                case (_, JsonObject o) when key is not null: o[key] = replacement; break;
                case (_, JsonArray a): a[index] = replacement; break;
            }
            return root.ToJsonString();
        });

    private static void Collect(JsonNode node, List<(JsonNode, string?, int)> slots)
    {
        if (node is JsonObject o)
            foreach (var (key, child) in o.ToList())
            {
                slots.Add((o, key, -1));
                if (child is not null) Collect(child, slots);
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
            {
                slots.Add((a, null, i));
                if (a[i] is { } child) Collect(child, slots);
            }
    }

    private static Gen<string> ByteLevel => Gen.Int[0, ValidJson.Length - 1].SelectMany(i => Mutate.Many(Encoding.UTF8.GetBytes(ValidJson[i]), 64))
        .Select(bytes => Encoding.UTF8.GetString(bytes));

    [Fact]
    public void ConfigLoadingThrowsOnlyJsonOrArgumentExceptions()
    {
        var counts = new FuzzCounts("run-config");
        Gen.Frequency((3, Structural), (2, ByteLevel), (1, Gen.String)).Sample(json =>
        {
            RunConfig config;
            try
            {
                config = RunConfig.FromJson(json);
                config.Validate();
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                counts.Rejected();
                return;
            }
            // Accepted: it must survive a round trip unchanged and build nothing surprising.
            Assert.Equal(config.ToJson(), RunConfig.FromJson(config.ToJson()).ToJson());
            counts.Accepted();
        }, seed: Seed, iter: 20_000, threads: 1);
        counts.Report(output, "JsonException or ArgumentException");
    }

    [Fact]
    public void RunFolderConfigLoaderNamesTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("vdm-config-fuzz-").FullName;
        try
        {
            var counts = new FuzzCounts("config.json via TrainingRun.ReadConfig");
            var path = Path.Combine(dir, "config.json");
            Gen.Frequency((3, Structural), (2, ByteLevel)).Sample(json =>
            {
                File.WriteAllText(path, json);
                try
                {
                    TrainingRun.ReadConfig(dir);
                    counts.Accepted();
                }
                catch (ArgumentException e)
                {
                    Assert.Contains(path, e.Message);
                    counts.Rejected();
                }
            }, seed: Seed, iter: 2000, threads: 1);
            counts.Report(output, "ArgumentException naming config.json");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
