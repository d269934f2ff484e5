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
            return (chunks.Count == 1 ? chunks[0] : cat(chunks, 0)).MoveToOuterDisposeScope();
        }
        finally
        {
            if (wasTraining) model.train();
        }
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
