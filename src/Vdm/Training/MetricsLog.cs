using System.Globalization;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>Appends one JSON object per line to <c>metrics.jsonl</c>, and mirrors scalars to TensorBoard.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter writer;
    private readonly SummaryWriter? tensorBoard;

    public MetricsLog(string path, string? tensorBoardDir)
    {
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        if (tensorBoardDir is not null) tensorBoard = utils.tensorboard.SummaryWriter(tensorBoardDir);
    }

    /// <summary>Writes a record: "kind" ("train" or "eval"), "step", and the named values.</summary>
    public void Write(string kind, long step, IReadOnlyDictionary<string, double> values)
    {
        var record = new Dictionary<string, object> { ["kind"] = kind, ["step"] = step };
        foreach (var (name, value) in values) record[name] = double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);
        writer.WriteLine(JsonSerializer.Serialize(record));
        if (tensorBoard is null) return;
        foreach (var (name, value) in values)
            if (double.IsFinite(value)) tensorBoard.add_scalar($"{kind}/{name}", (float)value, (int)step);
    }

    /// <summary>Reads every record of a metrics file (for plots).</summary>
    public static IEnumerable<(string Kind, long Step, Dictionary<string, double> Values)> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var values = new Dictionary<string, double>();
            foreach (var p in root.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Number && p.Name != "step") values[p.Name] = p.Value.GetDouble();
            yield return (root.GetProperty("kind").GetString() ?? "", root.GetProperty("step").GetInt64(), values);
        }
    }

    public void Dispose() => writer.Dispose();
}
