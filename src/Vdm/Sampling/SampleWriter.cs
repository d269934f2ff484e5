using Vdm.Diffusion;
using Vdm.Imaging;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>Draws samples with a chosen sampler and writes them as pictures.</summary>
public static class SampleWriter
{
    public static Tensor Draw(VariationalDiffusionModel model, long[] dataShape, int count, SamplerKind kind, SamplerOptions options,
        Tensor? labels = null, SamplerObserver? observer = null)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            return kind switch
            {
                SamplerKind.Ancestral => AncestralSampler.Sample(model, dataShape, count, options, labels, observer),
                SamplerKind.Ddim => DdimSampler.Sample(model, dataShape, count, options, labels, observer),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

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
        var levels = samples.to(ScalarType.Float32);
        var bytes = (vocab == 256 ? levels : (levels * (255.0 / Math.Max(1, vocab - 1))).round()).clamp(0, 255).to(ScalarType.Byte);
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
            using var bytes = samples.to(ScalarType.Byte);
            ImageGrid.Create(bytes, columns).Save(path);
        }
        else if (samples.dim() == 2 && samples.shape[1] == 2)
        {
            PngWriter.Write(path, PointDensityImage.Create(samples, vocab, scale: Math.Max(1, 512 / vocab)));
        }
        else
        {
            throw new ArgumentException($"cannot draw samples of shape [{string.Join(", ", samples.shape)}]");
        }
    }
}
