using Vdm.Sampling;
using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>Writes drawn samples as pictures: a grid, one PNG per sample, or a reverse-trajectory figure.</summary>
public static class SampleImages
{
    /// <summary>File name of the sample with global index <paramref name="index"/>: <c>sample-000042.png</c>.</summary>
    public static string EachFileName(long index) => $"sample-{index:D6}.png";

    /// <summary>
    /// Saves images [N, C, H, W] (values 0..<paramref name="vocab"/>−1) as one PNG each in <paramref name="folder"/>,
    /// named by global index (<paramref name="firstIndex"/> + i, <see cref="EachFileName"/>), so the files of shards
    /// drawn with different first indices never collide. Each file is written atomically. Returns the paths.
    /// </summary>
    public static IReadOnlyList<string> SaveEach(string folder, Tensor samples, long firstIndex, int vocab = 256)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.dim() != 4) throw new ArgumentException($"one PNG per sample needs images [N, C, H, W], got [{string.Join(", ", samples.shape)}]", nameof(samples));
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var bytes = SampleLevels.ToBytes(samples, vocab).cpu();
        var paths = new List<string>((int)samples.shape[0]);
        for (long i = 0; i < samples.shape[0]; i++)
        {
            var path = Path.Combine(folder, EachFileName(firstIndex + i));
            PngWriter.Write(path, ImageTensors.ToImage(bytes[i]));
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Saves samples as a PNG grid: images [N, C, H, W] as tiles, 2-D points [N, 2] as a density picture.</summary>
    public static void SaveGrid(string path, Tensor samples, int columns, int vocab = 256)
    {
        if (samples.dim() == 4)
        {
            using var bytes = samples.to(ScalarType.Byte).cpu();
            ImageGrid.Create(bytes, columns).Save(path);
        }
        else if (samples.dim() == 2 && samples.shape[1] == 2)
        {
            using var points = samples.cpu();
            PngWriter.Write(path, PointDensityImage.Create(points, vocab, scale: Math.Max(1, 512 / vocab)));
        }
        else
        {
            throw new ArgumentException($"cannot draw samples of shape [{string.Join(", ", samples.shape)}]");
        }
    }

    /// <summary>Saves a recorded reverse trajectory: one row per sample, t from 1 to 0, then the decoded sample.</summary>
    public static void SaveTrajectory(string path, TrajectoryRecorder recorder, Tensor samples)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        using var scope = NewDisposeScope();
        var (tiles, columns) = recorder.Frames(samples);
        ImageGrid.Create(tiles, columns, padding: 2, padValue: 255).Save(path);
    }
}
