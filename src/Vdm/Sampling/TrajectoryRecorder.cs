using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>
/// Keeps z_t of the first <paramref name="rows"/> samples at about <paramref name="frames"/> evenly spaced steps of a
/// <paramref name="steps"/>-step sampler (as bytes, <see cref="SampleLevels.LatentToBytes"/>). Pass
/// <see cref="Observe"/> as the sampler's observer; <see cref="Frames"/> then lays them out with the decoded samples.
/// </summary>
public sealed class TrajectoryRecorder(int steps, int rows, int vocab, int frames = 10)
{
    private readonly List<byte[]> kept = [];
    private long[] frameShape = [];

    /// <summary>Rows recorded (samples shown).</summary>
    public int Rows => rows;

    public void Observe(int step, double t, Tensor z)
    {
        int every = Math.Max(1, steps / frames);
        if (step % every != 0 && step != 1) return;
        using var scope = NewDisposeScope();
        var bytes = SampleLevels.LatentToBytes(z.narrow(0, 0, Math.Min(rows, (int)z.shape[0])), vocab);
        frameShape = bytes.shape;
        kept.Add(bytes.cpu().data<byte>().ToArray());
    }

    /// <summary>
    /// Bytes [rows × (frames + 1), C, H, W]: row i holds sample i's frames from t = 1 to 0, then the decoded
    /// sample (data values in <paramref name="samples"/>), ready for a grid with <c>frames + 1</c> columns.
    /// </summary>
    public (Tensor Tiles, int Columns) Frames(Tensor samples)
    {
        if (kept.Count == 0) throw new InvalidOperationException("no frames recorded: pass Observe to the sampler first");
        using var scope = NewDisposeScope();
        var finalBytes = SampleLevels.ToBytes(samples.narrow(0, 0, frameShape[0]), vocab).cpu();
        var columns = kept.Select(f => tensor(f, frameShape)).Append(finalBytes).ToArray();
        var grid = stack(columns, 1).reshape([-1, .. finalBytes.shape[1..]]);
        return (grid.MoveToOuterDisposeScope(), columns.Length);
    }
}
