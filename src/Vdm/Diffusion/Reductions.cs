using static TorchSharp.torch;

namespace Vdm.Diffusion;

public static class Reductions
{
    /// <summary>Sums every dimension but the first: [B, ...] → [B].</summary>
    public static Tensor SumPerExample(Tensor t) => t.reshape(t.shape[0], -1).sum(1);

    /// <summary>Number of dimensions of one example: the product of every size but the first.</summary>
    public static long DimensionsPerExample(Tensor t) => t.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
}
