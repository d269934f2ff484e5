using Vdm.Data;
using Vdm.Training;

namespace Vdm.Tests.Reliability;

/// <summary>A small swirl run (MLP, 2-D data) for the fault tests, in a temp folder removed on dispose.</summary>
internal sealed class SmallRun : IDisposable
{
    public SmallRun() => Root = Directory.CreateTempSubdirectory("vdm-fault-").FullName;

    public string Root { get; }

    public Dataset Train { get; } = Toy2D.Swirl(512, seed: 1);

    public Dataset Test { get; } = Toy2D.Swirl(256, seed: 2, split: "test");

    public string Dir(string name) => Path.Combine(Root, name);

    public static RunConfig Config(int steps, int checkpointEvery = 5, int keep = 3, int maxNonFinite = 20) => Presets.Get("swirl") with
    {
        Model = Presets.Get("swirl").Model with { Channels = 32, Blocks = 1, Dropout = 0 },
        Train = Presets.Get("swirl").Train with { Steps = steps, BatchSize = 64, WarmupSteps = 5, Seed = 3, MaxNonFiniteSteps = maxNonFinite },
        EvalEvery = 0,
        SampleEvery = 0,
        CheckpointEvery = checkpointEvery,
        KeepCheckpoints = keep,
        LogEvery = 1,
        EvalExamples = 128,
        SampleCount = 16,
        SampleSteps = 2,
    };

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Progress that runs synchronously (the library's events in order, on the training thread).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>A stream that fails like a full disk once <paramref name="budget"/> bytes have been written.</summary>
internal sealed class FullDiskStream(Stream inner, long budget) : Stream
{
    private long written;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (written + buffer.Length > budget)
        {
            inner.Write(buffer[..(int)Math.Max(0, budget - written)]);
            written = budget;
            throw new IOException("No space left on device (injected)");
        }
        inner.Write(buffer);
        written += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
