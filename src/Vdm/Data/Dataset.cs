using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>
/// One split of a dataset, held in memory as a single uint8 tensor: [N, C, H, W] for images or [N, D] for
/// vector (toy) data, every value in 0..<see cref="Vocab"/>−1, plus optional int64 labels [N].
/// The tensors are detached from dispose scopes; <see cref="Dispose"/> frees them.
/// </summary>
public sealed class Dataset : IDisposable
{
    public Dataset(Tensor images, Tensor? labels, int numClasses, int vocab, string name, string split, string source)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dtype != ScalarType.Byte) throw new ArgumentException($"images must be uint8, got {images.dtype}", nameof(images));
        if (images.dim() < 2) throw new ArgumentException($"images must be [N, ...] with at least 2 dimensions, got [{string.Join(", ", images.shape)}]", nameof(images));
        if (vocab < 2 || vocab > 256) throw new ArgumentOutOfRangeException(nameof(vocab), vocab, "vocab must be in 2..256 for uint8 data");
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must not be negative");
        if (labels is not null)
        {
            if (labels.dtype != ScalarType.Int64) throw new ArgumentException($"labels must be int64, got {labels.dtype}", nameof(labels));
            if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
                throw new ArgumentException($"labels must be [{images.shape[0]}], got [{string.Join(", ", labels.shape)}]", nameof(labels));
        }

        if (vocab < 256 && images.numel() > 0)
        {
            using var max = images.max();
            if (max.item<byte>() >= vocab) throw new ArgumentException($"data value {max.item<byte>()} is not below vocab {vocab}", nameof(images));
        }

        Images = images.DetachFromDisposeScope();
        Labels = labels?.DetachFromDisposeScope();
        NumClasses = numClasses;
        Vocab = vocab;
        Name = name;
        Split = split;
        Source = source;
    }

    /// <summary>uint8 [N, C, H, W] or [N, D].</summary>
    public Tensor Images { get; }

    /// <summary>int64 [N] class labels in 0..<see cref="NumClasses"/>−1, or null.</summary>
    public Tensor? Labels { get; }

    /// <summary>Number of classes (0 when unlabelled).</summary>
    public int NumClasses { get; }

    /// <summary>Number of levels V each value can take (256 for 8-bit images).</summary>
    public int Vocab { get; }

    public string Name { get; }

    /// <summary>"train" or "test".</summary>
    public string Split { get; }

    /// <summary>Where the data came from (a path, an archive entry, "generated …").</summary>
    public string Source { get; }

    public long Count => Images.shape[0];

    /// <summary>Shape of one example: [C, H, W] or [D].</summary>
    public long[] ExampleShape => Images.shape[1..];

    /// <summary>The rows at <paramref name="indices"/> (int64 [B]), copied into a new batch.</summary>
    public DataBatch Take(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var idx = indices.to_type(ScalarType.Int64, copy: true);
        return new DataBatch(Images.index_select(0, idx), Labels?.index_select(0, idx), idx);
    }

    /// <summary>The rows at <paramref name="indices"/>, copied into a new batch.</summary>
    public DataBatch Take(IReadOnlyList<long> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (var i in indices)
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index outside 0..{Count - 1}");
        using var idx = tensor(indices.ToArray(), ScalarType.Int64);
        return Take(idx);
    }

    /// <summary>
    /// One epoch in a random order: a permutation of 0..N−1 drawn from <paramref name="generator"/>, cut into
    /// batches of <paramref name="batchSize"/> (the last one smaller unless <paramref name="dropLast"/>).
    /// The same generator state gives the same batches.
    /// </summary>
    public IEnumerable<DataBatch> Epoch(int batchSize, Generator generator, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(generator);
        return EpochIterator(batchSize, generator, dropLast);
    }

    /// <summary>
    /// Endless batches, epoch after epoch, each epoch a fresh permutation from <paramref name="generator"/>.
    /// Every batch is full: an epoch's remainder smaller than a batch is skipped (the next epoch reshuffles).
    /// </summary>
    public IEnumerable<DataBatch> RandomBatches(int batchSize, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(generator);
        if (batchSize > Count) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch larger than the dataset ({Count})");
        return RandomIterator(batchSize, generator);
    }

    /// <summary>How many examples carry each label (length <see cref="NumClasses"/>), or null when unlabelled.</summary>
    public long[]? LabelHistogram()
    {
        if (Labels is null) return null;
        var counts = new long[Math.Max(NumClasses, 1)];
        using var cpu = Labels.cpu();
        foreach (var label in cpu.data<long>())
        {
            if (label >= counts.Length) Array.Resize(ref counts, (int)label + 1);
            counts[label]++;
        }

        return counts;
    }

    /// <summary>The first <paramref name="count"/> examples as a new dataset (for quick runs and tests).</summary>
    public Dataset Head(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var n = Math.Min(count, Count);
        return new Dataset(Images.narrow(0, 0, n).clone(), Labels?.narrow(0, 0, n).clone(), NumClasses, Vocab, Name, Split, Source);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }

    private IEnumerable<DataBatch> EpochIterator(int batchSize, Generator generator, bool dropLast)
    {
        using var permutation = randperm(Count, generator: generator).DetachFromDisposeScope();
        for (long start = 0; start < Count; start += batchSize)
        {
            var size = Math.Min(batchSize, Count - start);
            if (dropLast && size < batchSize) yield break;
            using var slice = permutation.narrow(0, start, size);
            yield return Take(slice);
        }
    }

    private IEnumerable<DataBatch> RandomIterator(int batchSize, Generator generator)
    {
        while (true)
        {
            foreach (var batch in EpochIterator(batchSize, generator, dropLast: true))
                yield return batch;
        }
    }
}
