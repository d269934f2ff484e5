namespace Vdm.Data;

/// <summary>One step of dataset resolution: where we looked (<paramref name="Step"/>: cache, system,
/// download, npm), what exactly was tried, and why it did not give us the data.</summary>
public sealed record DataAttempt(string Step, string Target, string Outcome)
{
    public override string ToString() => $"[{Step}] {Target}: {Outcome}";
}
