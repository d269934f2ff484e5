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
