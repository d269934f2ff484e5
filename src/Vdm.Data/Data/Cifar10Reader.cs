using static TorchSharp.torch;

namespace Vdm.Data;

/// <summary>
/// Reader for the CIFAR-10 binary version (<c>cifar-10-binary.tar.gz</c>, folder <c>cifar-10-batches-bin/</c>):
/// each batch file is a sequence of 3073-byte records, one label byte (0..9) followed by 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, each 32×32 row-major), so an image is already in CHW order.
/// </summary>
public static class Cifar10Reader
{
    public const int ImageBytes = 3 * 32 * 32;

    public const int RecordBytes = 1 + ImageBytes;

    public const int NumClasses = 10;

    public const string ArchiveFolder = "cifar-10-batches-bin";

    /// <summary>The batch files that make up a split: data_batch_1..5.bin for "train", test_batch.bin for "test".</summary>
    public static IReadOnlyList<string> BatchFiles(string split) => SplitNames.Normalise(split) switch
    {
        "train" => ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
        _ => ["test_batch.bin"],
    };

    /// <summary>Images uint8 [N, 3, 32, 32] and labels int64 [N] of one batch file.</summary>
    public static (Tensor Images, Tensor Labels) ReadBatch(string path) => ReadBatch(ReadFile(path));

    /// <inheritdoc cref="ReadBatch(string)"/>
    public static (Tensor Images, Tensor Labels) ReadBatch(NamedContent content)
    {
        var bytes = content.Bytes;
        if (bytes.Length == 0) throw new DataFormatException(content.Name, "empty file");
        if (bytes.Length % RecordBytes != 0)
            throw new DataFormatException(content.Name, $"length {bytes.Length} is not a multiple of the {RecordBytes}-byte record size");
        var n = bytes.Length / RecordBytes;
        var pixels = new byte[(long)n * ImageBytes];
        var labels = new long[n];
        for (var i = 0; i < n; i++)
        {
            var record = bytes.AsSpan(i * RecordBytes, RecordBytes);
            if (record[0] >= NumClasses)
                throw new DataFormatException(content.Name, $"record {i}: label {record[0]} out of range: expected 0..{NumClasses - 1}");
            labels[i] = record[0];
            record[1..].CopyTo(pixels.AsSpan(i * ImageBytes, ImageBytes));
        }

        return (tensor(pixels, ScalarType.Byte).view(n, 3, 32, 32), tensor(labels, ScalarType.Int64));
    }

    /// <summary>Concatenates batch contents into one split.</summary>
    public static Dataset Load(IEnumerable<NamedContent> batches, string split, string source, string name = "cifar10")
    {
        using var scope = NewDisposeScope();
        var images = new List<Tensor>();
        var labels = new List<Tensor>();
        foreach (var batch in batches)
        {
            var (x, y) = ReadBatch(batch);
            images.Add(x);
            labels.Add(y);
        }

        if (images.Count == 0) throw new ArgumentException("no CIFAR-10 batches given", nameof(batches));
        return new Dataset(cat(images, 0), cat(labels, 0), NumClasses, vocab: 256, name, SplitNames.Normalise(split), source);
    }

    /// <summary>Reads a split from a folder holding the .bin batch files (e.g. an extracted cifar-10-batches-bin/).</summary>
    public static Dataset LoadFolder(string folder, string split)
    {
        var paths = BatchFiles(split).Select(f => Path.Combine(folder, f)).ToList();
        var missing = paths.Where(p => !File.Exists(p)).Select(Path.GetFileName).ToList();
        if (missing.Count > 0) throw new FileNotFoundException($"{folder}: missing {string.Join(", ", missing)}");
        return Load(paths.Select(ReadFile), split, folder);
    }

    /// <summary>Reads a split straight from <c>cifar-10-binary.tar.gz</c> (entries under cifar-10-batches-bin/).</summary>
    public static Dataset LoadTarball(string path, string split)
    {
        var wanted = BatchFiles(split).ToHashSet(StringComparer.Ordinal);
        var entries = Compression.ReadTarEntries(path, entry => wanted.Contains(Path.GetFileName(entry)));
        var archive = Path.GetFileName(path);
        var byFile = entries.ToDictionary(e => Path.GetFileName(e.Key), e => new NamedContent($"{archive}:{e.Key}", e.Value));
        var missing = BatchFiles(split).Where(f => !byFile.ContainsKey(f)).ToList();
        if (missing.Count > 0) throw new DataFormatException(archive, $"missing {string.Join(", ", missing)} (expected under {ArchiveFolder}/)");
        return Load(BatchFiles(split).Select(f => byFile[f]), split, path);
    }

    private static NamedContent ReadFile(string path)
    {
        try
        {
            return new NamedContent(Path.GetFileName(path), File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(Path.GetFileName(path), $"cannot read: {e.Message}", e);
        }
    }
}
