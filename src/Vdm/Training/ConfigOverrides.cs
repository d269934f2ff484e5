using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vdm.Training;

/// <summary>One field of a run config set by path, e.g. <c>train.learningRate</c> = <c>1e-3</c>.</summary>
/// <param name="Path">Dot-separated JSON path of the field in config.json (case-insensitive).</param>
/// <param name="Value">The value as JSON (a number, true/false, a string, an array or an object).</param>
/// <param name="Source">How the user gave it, for messages (e.g. <c>--lr</c> or <c>--set train.learningRate=1e-3</c>).</param>
public sealed record ConfigSetting(string Path, JsonNode? Value, string Source)
{
    /// <summary>
    /// Parses <c>path=value</c>. The value is read as JSON when it is valid JSON (<c>1e-3</c>, <c>true</c>,
    /// <c>[1,2,2]</c>, <c>"text"</c>), else as a string (<c>monotoneNet</c>, <c>runs/x</c>).
    /// </summary>
    public static ConfigSetting Parse(string text, string? source = null)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set {text}: expected PATH=VALUE, e.g. train.learningRate=1e-3");
        var path = text[..eq].Trim();
        var raw = text[(eq + 1)..];
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(raw);
        }
        return new ConfigSetting(path, value, source ?? $"--set {text}");
    }
}

/// <summary>
/// The one way to configure a run: a config (a preset, or config.json) as JSON, a partial or complete config file
/// merged over it, then single fields set by path. Every field of <see cref="RunConfig"/> can be set this way, so a new
/// hyperparameter needs no code here: adding the property (and its check in <see cref="RunConfig.Validate"/>) is all.
/// </summary>
public static class ConfigOverrides
{
    /// <summary>Paths a resumed run may change (they bound this invocation's work, not the model or the optimisation).</summary>
    public static IReadOnlyList<string> ChangeableOnResume { get; } = ["train.steps", "train.minutes", "train.threads"];

    /// <summary><paramref name="config"/> with the fields of the JSON object <paramref name="json"/> replacing its own (objects merged field by field).</summary>
    public static RunConfig Merge(RunConfig config, string json, string source)
    {
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: not valid JSON: {e.Message}", e);
        }
        if (patch is not JsonObject patchObject) throw new ArgumentException($"{source}: expected a JSON object like a run's config.json");
        var target = ToNode(config);
        MergeInto(target, patchObject, "", source);
        return FromNode(target, source);
    }

    /// <summary><paramref name="config"/> with each setting applied in order (a later one wins).</summary>
    public static RunConfig Apply(RunConfig config, IEnumerable<ConfigSetting> settings)
    {
        var root = ToNode(config);
        string? last = null;
        foreach (var setting in settings)
        {
            var (parent, key) = Locate(root, setting.Path, setting.Source);
            parent[key] = setting.Value?.DeepClone();
            last = setting.Source;
        }
        return last is null ? config : FromNode(root, last);
    }

    /// <summary>The paths of the leaf fields whose values differ between two configs (arrays compared whole).</summary>
    public static IReadOnlyList<string> Differences(RunConfig a, RunConfig b)
    {
        var paths = new List<string>();
        Compare(ToNode(a), ToNode(b), "", paths);
        return paths;
    }

    /// <summary>The canonical path (as written in config.json) of a path given in any letter case; null when there is no such field.</summary>
    public static string? Canonical(string path)
    {
        try
        {
            var (parent, key) = Locate(ToNode(new RunConfig()), path, path);
            return Prefix(parent) + key;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Prefix(JsonNode node) => node.Parent is null ? "" : node.GetPath().TrimStart('$', '.') + ".";

    private static JsonObject ToNode(RunConfig config) =>
        JsonSerializer.SerializeToNode(config, RunConfig.JsonOptions) as JsonObject ?? throw new InvalidOperationException("a config serialises to an object");

    private static RunConfig FromNode(JsonObject node, string source)
    {
        try
        {
            return node.Deserialize<RunConfig>(RunConfig.JsonOptions) ?? throw new ArgumentException($"{source}: the config became null");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: {Explain(e)}", e);
        }
    }

    private static string Explain(JsonException e) =>
        e.Path is { Length: > 0 } path ? $"wrong type of value for {path.TrimStart('$', '.')} ({FirstLine(e.Message)})" : FirstLine(e.Message);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>The object holding the field named by <paramref name="path"/>, and the field's key as config.json spells it.</summary>
    private static (JsonObject Parent, string Key) Locate(JsonObject root, string path, string source)
    {
        var parts = path.Split('.', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length == 0)) throw new ArgumentException($"{source}: '{path}' is not a field path like train.learningRate");
        JsonObject current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            var key = current.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, parts[i], StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"{source}: the config has no field '{string.Join('.', parts[..(i + 1)])}' (fields{(i == 0 ? "" : $" of {string.Join('.', parts[..i])}")}: {string.Join(", ", current.Select(p => p.Key))})");
            if (i == parts.Length - 1) return (current, key);
            current = current[key] as JsonObject
                ?? throw new ArgumentException($"{source}: '{string.Join('.', parts[..(i + 1)])}' is a value, not a section with fields");
        }
        throw new InvalidOperationException("unreachable");
    }

    private static void MergeInto(JsonObject target, JsonObject patch, string prefix, string source)
    {
        foreach (var (name, value) in patch.ToList())
        {
            var key = target.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (key is null && !(prefix.Length == 0 && string.Equals(name, "images", StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"{source}: the config has no field '{prefix}{name}' (fields{(prefix.Length == 0 ? "" : $" of {prefix.TrimEnd('.')}")}: {string.Join(", ", target.Select(p => p.Key))})");
            key ??= "images";
            if (value is JsonObject inner && target[key] is JsonObject existing) MergeInto(existing, inner, $"{prefix}{key}.", source);
            else target[key] = value?.DeepClone();
        }
    }

    private static void Compare(JsonNode? a, JsonNode? b, string prefix, List<string> paths)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
                Compare(oa[key], ob[key], $"{prefix}{key}.", paths);
            return;
        }
        if (!JsonNode.DeepEquals(a, b)) paths.Add(prefix.TrimEnd('.'));
    }
}
