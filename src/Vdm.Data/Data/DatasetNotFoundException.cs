namespace Vdm.Data;

/// <summary>Every way of obtaining a dataset failed. <see cref="Attempts"/> lists each one and why,
/// and the message repeats them, one per line.</summary>
public sealed class DatasetNotFoundException : Exception
{
    public DatasetNotFoundException(string name, string split, IReadOnlyList<DataAttempt> attempts)
        : base(BuildMessage(name, split, attempts))
    {
        Name = name;
        Split = split;
        Attempts = attempts;
    }

    public string Name { get; }

    public string Split { get; }

    public IReadOnlyList<DataAttempt> Attempts { get; }

    private static string BuildMessage(string name, string split, IReadOnlyList<DataAttempt> attempts)
    {
        var lines = new List<string> { $"dataset '{name}' (split '{split}') could not be found; tried:" };
        if (attempts.Count == 0) lines.Add("  (nothing: no source is known for this dataset)");
        lines.AddRange(attempts.Select(a => "  " + a));
        return string.Join(Environment.NewLine, lines);
    }
}
