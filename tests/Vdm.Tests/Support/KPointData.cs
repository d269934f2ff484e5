using Vdm.Diffusion;
using static TorchSharp.torch;

namespace Vdm.Tests.Support;

/// <summary>K fixed random images with values in 0..V−1, equally likely: the true NLL is log K nats per image.</summary>
internal sealed class KPointData : IDisposable
{
    public KPointData(int k, long[] shape, int vocab, long seed)
    {
        K = k;
        Vocab = vocab;
        Shape = shape;
        using var generator = new Generator((ulong)seed);
        var dims = shape.Aggregate(1L, (a, b) => a * b);
        Images = randint(0, vocab, [k, .. shape], ScalarType.Int64, generator: generator).DetachFromDisposeScope();
        Dimensions = dims;
    }

    public int K { get; }

    public int Vocab { get; }

    public long[] Shape { get; }

    public long Dimensions { get; }

    /// <summary>[K, ...shape] integers.</summary>
    public Tensor Images { get; }

    public double TrueBitsPerDim => Math.Log2(K) / Dimensions;

    /// <summary>A batch of examples, each one of the K images drawn uniformly; also returns which.</summary>
    public (Tensor X, Tensor Index) Batch(int size, Generator generator)
    {
        var index = randint(0, K, [size], ScalarType.Int64, generator: generator);
        return (Images.index_select(0, index), index);
    }

    public Tensor Encoded(ScalarType dtype = ScalarType.Float64) => ForwardProcess.Encode(Images, Vocab, dtype);

    public void Dispose() => Images.Dispose();
}
