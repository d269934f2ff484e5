using Vdm.Diffusion;
using Vdm.Training;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>Draws samples with a chosen sampler: the one entry point that training, evaluation and the tool share.</summary>
public static class Sampler
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

    /// <summary>
    /// Columns of a grid of <paramref name="count"/> samples: for a class-conditional model whose samples cycle through
    /// its <paramref name="numClasses"/> classes (sample i drawn for class i mod K, as training's grids and <c>vdm sample</c>
    /// draw them), K columns, so each column is one class; otherwise (0 classes, or fewer samples than classes) a square.
    /// </summary>
    public static int GridColumns(int count, int numClasses) =>
        numClasses > 1 && count >= numClasses ? numClasses : (int)Math.Ceiling(Math.Sqrt(count));

    /// <summary>The sampler's name on the command line and in file names: "ancestral" or "ddim".</summary>
    public static string Name(SamplerKind kind) => kind == SamplerKind.Ddim ? "ddim" : "ancestral";

    /// <summary>Parses <see cref="Name"/>'s words (case-insensitive); null when the word is neither.</summary>
    public static SamplerKind? Parse(string word) => word.Trim().ToLowerInvariant() switch
    {
        "ancestral" => SamplerKind.Ancestral,
        "ddim" => SamplerKind.Ddim,
        _ => null,
    };
}
