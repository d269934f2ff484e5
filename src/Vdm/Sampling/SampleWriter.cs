using Vdm.Diffusion;
using Vdm.Imaging;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>Draws samples with a chosen sampler and writes them as pictures.</summary>
public static class SampleWriter
{
    /// <summary>
    /// Draws <paramref name="count"/> samples (at most <see cref="ConfigLimits.MaxSampleCount"/>) in chunks of
    /// <see cref="ConfigLimits.SampleChunk"/>: the sampler's memory (activations, one noise generator per sample)
    /// depends on the chunk, not on the count. Sample i still depends only on (seed, i), so chunking changes no
    /// pixel. <paramref name="observer"/> sees the first chunk.
    /// </summary>
    public static Tensor Draw(VariationalDiffusionModel model, long[] dataShape, int count, SamplerKind kind, SamplerOptions options,
        Tensor? labels = null, SamplerObserver? observer = null)
    {
        ConfigLimits.CheckSampleCount(count);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var chunks = new List<Tensor>();
            using var scope = NewDisposeScope();
            for (int first = 0; first < count; first += ConfigLimits.SampleChunk)
            {
                int n = Math.Min(ConfigLimits.SampleChunk, count - first);
                var chunkOptions = options with { FirstIndex = options.FirstIndex + first };
                var chunkLabels = labels?.narrow(0, first, n);
                var chunkObserver = first == 0 ? observer : null;
                chunks.Add(kind switch
                {
                    SamplerKind.Ancestral => AncestralSampler.Sample(model, dataShape, n, chunkOptions, chunkLabels, chunkObserver),
                    SamplerKind.Ddim => DdimSampler.Sample(model, dataShape, n, chunkOptions, chunkLabels, chunkObserver),
                    _ => throw new ArgumentOutOfRangeException(nameof(kind)),
                });
            }
            // Back on the CPU, where grids, PNGs and shard files are written from, whatever the model's device.
            return (chunks.Count == 1 ? chunks[0] : cat(chunks, 0)).cpu().MoveToOuterDisposeScope();
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
