using System.Buffers.Binary;
using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>
/// Reader for the IDX format of MNIST, Fashion-MNIST and EMNIST: a 4-byte big-endian magic
/// (0x00 0x00, type 0x08 = unsigned byte, rank), one big-endian int32 per dimension, then the data.
/// Images are rank 3 (magic 0x00000803), labels rank 1 (0x00000801). Files may be raw or gzip
/// (detected by the 1f 8b magic, not by the name). Every malformation throws <see cref="DataFormatException"/>.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;

    public const int LabelsMagic = 0x00000801;

    /// <summary>In a user's IDX folder: one class name per line; the class count is the number of non-empty lines.</summary>
    public const string ClassesFileName = "classes.txt";

    /// <summary>Images as uint8 [N, 1, H, W]. With <paramref name="transpose"/> (EMNIST, which stores each
    /// image transposed) every image is transposed, so the result is [N, 1, W_file, H_file].</summary>
    public static Tensor ReadImages(string path, bool transpose = false) =>
        ReadImages(Compression.ReadRaw(path), transpose);

    /// <inheritdoc cref="ReadImages(string, bool)"/>
    public static Tensor ReadImages(NamedContent content, bool transpose = false)
    {
        var raw = Compression.MaybeGunzip(content, DeclaredLength(content.Name, rank: 3));
        var dims = ParseHeader(raw, rank: 3);
        long n = dims[0], rows = dims[1], cols = dims[2];
        if (rows == 0 || cols == 0) throw new DataFormatException(raw.Name, $"empty image size {rows}x{cols}");
        var offset = HeaderLength(3);
        using var scope = NewDisposeScope();
        var flat = tensor(raw.Bytes, ScalarType.Byte).narrow(0, offset, n * rows * cols);
        var images = flat.view(n, 1, rows, cols);
        // Without transposition this is a view of the copied file bytes (no second copy of the pixels).
        if (transpose) images = images.transpose(2, 3).contiguous();
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>Labels as int64 [N].</summary>
    public static Tensor ReadLabels(string path) => ReadLabels(Compression.ReadRaw(path));

    /// <inheritdoc cref="ReadLabels(string)"/>
    public static Tensor ReadLabels(NamedContent content)
    {
        var raw = Compression.MaybeGunzip(content, DeclaredLength(content.Name, rank: 1));
        var dims = ParseHeader(raw, rank: 1);
        var labels = new long[dims[0]];
        var data = raw.Bytes.AsSpan(HeaderLength(1));
        for (var i = 0; i < labels.Length; i++) labels[i] = data[i];
        return tensor(labels, ScalarType.Int64);
    }

    /// <summary>Reads an image file and its label file into a <see cref="Dataset"/>.</summary>
    public static Dataset LoadDataset(string imagesPath, string labelsPath, string name, string split, IdxOptions? options = null) =>
        LoadDataset(
            Compression.ReadRaw(imagesPath),
            Compression.ReadRaw(labelsPath),
            name,
            split,
            $"{imagesPath} + {Path.GetFileName(labelsPath)}",
            options);

    /// <summary>
    /// Builds a <see cref="Dataset"/> from image and label IDX contents: checks that the counts agree, applies
    /// <see cref="IdxOptions.LabelOffset"/>, checks labels against <see cref="IdxOptions.NumClasses"/> (or infers
    /// the class count from the largest label when it is 0).
    /// </summary>
    public static Dataset LoadDataset(NamedContent images, NamedContent labels, string name, string split, string source, IdxOptions? options = null)
    {
        options ??= new IdxOptions();
        using var scope = NewDisposeScope();
        var x = ReadImages(images, options.Transpose);
        var y = ReadLabels(labels);
        if (x.shape[0] != y.shape[0])
            throw new DataFormatException(labels.Name, $"count mismatch: {y.shape[0]} labels but {images.Name} holds {x.shape[0]} images");
        if (options.LabelOffset != 0) y = y - options.LabelOffset;
        var numClasses = CheckLabels(y, labels.Name, options);
        // The Dataset detaches its two tensors from the scope; the intermediates are freed with it.
        return new Dataset(x, y, numClasses, vocab: 256, name, split, source);
    }

    private static int CheckLabels(Tensor labels, string fileName, IdxOptions options)
    {
        if (labels.numel() == 0) return options.NumClasses;
        var min = labels.min().item<long>();
        var max = labels.max().item<long>();
        var offsetNote = options.LabelOffset != 0 ? $" after subtracting {options.LabelOffset}" : "";
        if (min < 0) throw new DataFormatException(fileName, $"label {min + options.LabelOffset} is negative{offsetNote}");
        var declared = options.ClassesDeclaredIn is { } declaredIn ? $" ({declaredIn} declares {options.NumClasses} classes)" : "";
        if (options.NumClasses > 0 && max >= options.NumClasses)
            throw new DataFormatException(fileName, $"label {max + options.LabelOffset} out of range: expected 0..{options.NumClasses - 1}{offsetNote}{declared}");
        if (options.NumClasses > 0) return options.NumClasses;
        if (options.RequireEveryInferredLabel)
        {
            var distinct = labels.unique().Item1.numel();
            if (distinct != max + 1)
                throw new DataFormatException(fileName, $"labels skip values: {distinct} distinct labels, largest {max}; label files must use 0..K−1, or declare the classes in {ClassesFileName}");
        }

        return (int)max + 1;
    }

    private static int HeaderLength(int rank) => 4 + 4 * rank;

    /// <summary>
    /// For <see cref="Compression.MaybeGunzip"/>: the total length the header declares, checked as soon as its bytes
    /// are decompressed (−1 while the header is incomplete), so a gzip bomb stops at its first bytes.
    /// </summary>
    private static Func<ReadOnlySpan<byte>, long> DeclaredLength(string name, int rank) => head =>
    {
        if (head.Length < HeaderLength(rank) && (head.Length < 4 || head[..4].SequenceEqual(rank == 3 ? "\0\0\u0008\u0003"u8 : "\0\0\u0008\u0001"u8))) return -1;
        return ParseDims(head, name, rank, out _);
    };

    /// <summary>Validates magic, rank and total length; returns the dimensions.</summary>
    private static long[] ParseHeader(NamedContent raw, int rank)
    {
        long expected = ParseDims(raw.Bytes, raw.Name, rank, out var dims);
        if (raw.Bytes.Length < expected)
            throw new DataFormatException(raw.Name, $"truncated: expected {expected} bytes, found {raw.Bytes.Length}");
        if (raw.Bytes.Length > expected)
            throw new DataFormatException(raw.Name, $"extra data: expected {expected} bytes, found {raw.Bytes.Length}");
        return dims;
    }

    /// <summary>Validates magic, rank and sizes; returns the total length (header and data) they declare.</summary>
    private static long ParseDims(ReadOnlySpan<byte> bytes, string name, int rank, out long[] dims)
    {
        var expectedMagic = rank == 3 ? ImagesMagic : LabelsMagic;
        var what = rank == 3 ? "images" : "labels";
        if (bytes.Length < 4)
            throw new DataFormatException(name, $"truncated: {bytes.Length} bytes, too short for an IDX header");
        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
            throw new DataFormatException(name, $"bad magic 0x{magic:X8}: expected 0x{expectedMagic:X8} (IDX unsigned-byte {what}, rank {rank})");
        if (bytes[3] != rank)
            throw new DataFormatException(name, $"wrong rank {bytes[3]} (magic 0x{magic:X8}): {what} must have rank {rank} (magic 0x{expectedMagic:X8})");
        var header = HeaderLength(rank);
        if (bytes.Length < header)
            throw new DataFormatException(name, $"truncated: {bytes.Length} bytes, too short for a rank-{rank} IDX header of {header} bytes");

        dims = new long[rank];
        long expected = header;
        for (var d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 + 4 * d)..]);
            if (dims[d] < 0) throw new DataFormatException(name, $"negative size {dims[d]} in dimension {d}");
        }

        // Each size is below 2^31, so a product above 2^40 cannot be a real file; stop before it overflows.
        var count = 1L;
        foreach (var size in dims)
        {
            count *= size;
            if (count > 1L << 40) throw new DataFormatException(name, $"implausible sizes [{string.Join(", ", dims)}]");
        }

        return expected + count;
    }
}
