using System.Globalization;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Persistence;

/// <summary>Appends one JSON object per line to <c>metrics.jsonl</c>, and mirrors scalars to TensorBoard.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter writer;
    private readonly SummaryWriter? tensorBoard;

    private readonly string path;
    private readonly string? tensorBoardDir;

    public MetricsLog(string path, string? tensorBoardDir)
    {
        this.path = path;
        this.tensorBoardDir = tensorBoardDir;
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            RepairedTornLine = CutTornLine(stream);
            stream.Seek(0, SeekOrigin.End);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        writer = new StreamWriter(stream) { AutoFlush = true };
        try
        {
            if (tensorBoardDir is not null) tensorBoard = utils.tensorboard.SummaryWriter(tensorBoardDir);
        }
        catch (IOException e)
        {
            writer.Dispose();
            throw new IOException($"{tensorBoardDir}: could not start the TensorBoard log: {e.Message}", e);
        }
    }

    /// <summary>True when the log ended in a partial line (a process killed while writing it), which was removed.</summary>
    public bool RepairedTornLine { get; }

    // Every record ends with '\n': bytes after the last one are a torn write. Appending after them would glue the
    // next record to the fragment and make two lines unreadable, so the fragment is cut off.
    private static bool CutTornLine(FileStream stream)
    {
        long length = stream.Length;
        if (length == 0) return false;
        var tail = new byte[(int)Math.Min(length, 1 << 16)];
        stream.Seek(length - tail.Length, SeekOrigin.Begin);
        stream.ReadExactly(tail);
        if (tail[^1] == (byte)'\n') return false;
        int newline = Array.LastIndexOf(tail, (byte)'\n');
        if (newline < 0 && length > tail.Length) return false; // one line over 64 KiB: not a log written here; leave it
        stream.SetLength(length - tail.Length + newline + 1);
        stream.Flush(flushToDisk: true);
        return true;
    }

    /// <summary>Writes a record: "kind" ("train" or "eval"), "step", and the named values.</summary>
    public void Write(string kind, long step, IReadOnlyDictionary<string, double> values)
    {
        var record = new Dictionary<string, object> { ["kind"] = kind, ["step"] = step };
        foreach (var (name, value) in values) record[name] = double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);
        try
        {
            writer.WriteLine(JsonSerializer.Serialize(record));
        }
        catch (IOException e)
        {
            // A full disk: name the file. A partial line left behind is cut off on the next resume (CutTornLine).
            throw new IOException($"{path}: could not append the metrics of step {step}: {e.Message}", e);
        }
        if (tensorBoard is null) return;
        try
        {
            foreach (var (name, value) in values)
                if (double.IsFinite(value)) tensorBoard.add_scalar($"{kind}/{name}", (float)value, (int)step);
        }
        catch (IOException e)
        {
            throw new IOException($"{tensorBoardDir}: could not write the TensorBoard scalars of step {step}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads every record of a metrics file (for plots). A line that is not a record (a write torn by a kill) is
    /// skipped and passed to <paramref name="skipped"/> with its line number; a file with no readable record at all
    /// is not a metrics log (<see cref="InvalidDataException"/>).
    /// </summary>
    public static IEnumerable<(string Kind, long Step, Dictionary<string, double> Values)> Read(string path, Action<int, string>? skipped = null)
    {
        int number = 0, read = 0, bad = 0;
        string? firstError = null;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            (string, long, Dictionary<string, double>) record;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var values = new Dictionary<string, double>();
                foreach (var p in root.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Name != "step") values[p.Name] = p.Value.GetDouble();
                record = (root.GetProperty("kind").GetString() ?? "", root.GetProperty("step").GetInt64(), values);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                bad++;
                firstError ??= $"line {number}: {e.Message}";
                skipped?.Invoke(number, e.Message);
                continue;
            }
            read++;
            yield return record;
        }
        if (read == 0 && bad > 0) throw new InvalidDataException($"{path}: not a metrics log ({firstError})");
    }

    public void Dispose() => writer.Dispose();
}
