using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>A <see cref="Dataset"/> from images the caller already holds (for evaluation on one's own data).</summary>
public static class InMemoryDataset
{
    /// <summary>
    /// Stacks uint8 images [C, H, W] (all the same shape, values 0..255) into a dataset; with
    /// <paramref name="labels"/> (one per image, 0..<paramref name="numClasses"/>−1) it is labelled.
    /// </summary>
    public static Dataset FromImages(IEnumerable<Tensor> images, IEnumerable<long>? labels = null, int numClasses = 0, string name = "images", string split = SplitNames.Test)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var list = images.ToList();
        if (list.Count == 0) throw new ArgumentException("no images", nameof(images));
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].dtype != ScalarType.Byte || list[i].dim() != 3)
                throw new ArgumentException($"image {i} must be uint8 [C, H, W], got {list[i].dtype} [{string.Join(", ", list[i].shape)}]", nameof(images));
            if (!list[i].shape.SequenceEqual(list[0].shape))
                throw new ArgumentException($"image {i} has shape [{string.Join(", ", list[i].shape)}], image 0 [{string.Join(", ", list[0].shape)}]", nameof(images));
        }

        var stacked = stack(list);
        var labelTensor = labels is null ? null : tensor(labels.ToArray(), ScalarType.Int64);
        var dataset = new Dataset(stacked, labelTensor, numClasses, 256, name, split, "memory");
        return dataset;
    }
}
