using Xunit.Abstractions;

namespace Vdm.Tests.Reliability;

/// <summary>Counts what a fuzz run did: inputs tried, rejected with the documented exception, accepted (and checked).</summary>
internal sealed class FuzzCounts(string target)
{
    private long tried, rejected, accepted;

    public void Rejected() { Interlocked.Increment(ref tried); Interlocked.Increment(ref rejected); }

    public void Accepted() { Interlocked.Increment(ref tried); Interlocked.Increment(ref accepted); }

    public long Tried => Interlocked.Read(ref tried);

    /// <summary>One line for the test output, e.g. "fuzz idx-images: 6000 inputs, 5712 rejected (DataFormatException), 288 accepted".</summary>
    public void Report(ITestOutputHelper output, string exception) =>
        output.WriteLine($"fuzz {target}: {Tried} inputs, {Interlocked.Read(ref rejected)} rejected ({exception}), {Interlocked.Read(ref accepted)} accepted and checked");
}
