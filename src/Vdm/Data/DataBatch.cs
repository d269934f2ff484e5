using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>A batch taken from a <see cref="Dataset"/>: uint8 data [B, ...], int64 labels [B] (or null),
/// and the dataset indices they came from. The caller owns the tensors (dispose the batch, or let a dispose
/// scope that was open when the batch was taken collect them).</summary>
public sealed class DataBatch : IDisposable
{
    public DataBatch(Tensor images, Tensor? labels, Tensor indices)
    {
        Images = images;
        Labels = labels;
        Indices = indices;
    }

    /// <summary>uint8 [B, C, H, W] (images) or [B, D] (vectors), values 0..V−1.</summary>
    public Tensor Images { get; }

    /// <summary>int64 [B], or null for unlabelled data.</summary>
    public Tensor? Labels { get; }

    /// <summary>int64 [B]: the rows of the dataset this batch holds.</summary>
    public Tensor Indices { get; }

    public long Size => Images.shape[0];

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
        Indices.Dispose();
    }
}
