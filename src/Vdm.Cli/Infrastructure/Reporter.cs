namespace Vdm.Cli.Infrastructure;

/// <summary>An <see cref="IProgress{T}"/> that calls back synchronously on the reporting thread, in order
/// (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
public sealed class Reporter<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
