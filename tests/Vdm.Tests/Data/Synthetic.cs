using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using Vdm.Data;

namespace Vdm.Tests.Data;

/// <summary>Builders of small synthetic files in the real formats.</summary>
public static class Synthetic
{
    /// <summary>Image i has pixel (r, c) = (i*31 + r*7 + c) mod 256, so every pixel is predictable.</summary>
    public static byte Pixel(int i, int r, int c) => (byte)((i * 31 + r * 7 + c) % 256);

    public static byte[] IdxImages(int n, int rows, int cols)
    {
        var bytes = new byte[16 + n * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (var i = 0; i < n; i++)
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < cols; c++)
                    bytes[16 + (i * rows + r) * cols + c] = Pixel(i, r, c);
        return bytes;
    }

    public static byte[] IdxLabels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>Labels 0, 1, …, n−1 modulo <paramref name="classes"/>.</summary>
    public static byte[] IdxLabels(int n, int classes) => IdxLabels(Enumerable.Range(0, n).Select(i => (byte)(i % classes)).ToArray());

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>A CIFAR-10 batch: record i has label labels[i] and pixel j = (i + j) mod 256.</summary>
    public static byte[] CifarBatch(params byte[] labels)
    {
        var bytes = new byte[labels.Length * 3073];
        for (var i = 0; i < labels.Length; i++)
        {
            bytes[i * 3073] = labels[i];
            for (var j = 0; j < 3072; j++) bytes[i * 3073 + 1 + j] = (byte)((i + j) % 256);
        }

        return bytes;
    }

    /// <summary>Writes a .tar.gz holding <paramref name="entries"/> (name → bytes).</summary>
    public static void TarGz(string path, IReadOnlyDictionary<string, byte[]> entries)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, bytes) in entries)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };
            tar.WriteEntry(entry);
        }
    }

    /// <summary>Writes a zip holding <paramref name="entries"/> (name → bytes).</summary>
    public static void Zip(string path, IReadOnlyDictionary<string, byte[]> entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
    }

    /// <summary>Writes a standard MNIST-named IDX pair (gz) for a split into <paramref name="folder"/>.</summary>
    public static void MnistPair(string folder, string prefix, int n, int classes = 10, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        var suffix = gzip ? ".gz" : "";
        var images = IdxImages(n, 28, 28);
        var labels = IdxLabels(n, classes);
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{suffix}"), gzip ? Gzip(images) : images);
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? Gzip(labels) : labels);
    }
}
