using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;

namespace Vdm.Data;

/// <summary>Gzip detection by magic number (1f 8b), whole-file reads, and in-memory tar.gz extraction.</summary>
public static class Compression
{
    /// <summary>True when <paramref name="head"/> starts with the gzip magic bytes 1f 8b.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>Reads a file; if it is gzip (by magic, whatever its name), returns the decompressed bytes.</summary>
    public static NamedContent ReadMaybeGzip(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(Path.GetFileName(path), $"cannot read: {e.Message}", e);
        }

        return MaybeGunzip(new NamedContent(Path.GetFileName(path), bytes));
    }

    /// <summary>Reads a file's bytes as they are on disk (compressed or not), naming the file in any error.</summary>
    public static NamedContent ReadRaw(string path)
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

    /// <summary>
    /// Decompresses <paramref name="content"/> if it starts with the gzip magic; otherwise returns it as is. With
    /// <paramref name="declaredLength"/>, the decompressed bytes are checked as soon as they arrive: it receives the
    /// bytes decompressed so far and returns the total length their header declares, or −1 while it needs more
    /// bytes (it throws <see cref="DataFormatException"/> for a bad header). Decompression stops at the declared
    /// length, so a small file that inflates to gigabytes costs no more memory than what its header declares.
    /// </summary>
    public static NamedContent MaybeGunzip(NamedContent content, Func<ReadOnlySpan<byte>, long>? declaredLength = null)
    {
        if (!IsGzip(content.Bytes)) return content;
        try
        {
            using var input = new MemoryStream(content.Bytes, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(declaredLength is null ? GuessSize(content.Bytes) : 0);
            if (declaredLength is null) CopyCapped(gzip, output, content.Name);
            else CopyDeclared(gzip, output, content.Name, declaredLength, content.Bytes.Length);
            return content with { Bytes = output.Length == output.Capacity ? output.GetBuffer() : output.ToArray() };
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(content.Name, $"corrupt gzip data: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the regular-file entries of a .tar.gz (or plain .tar) whose names <paramref name="wanted"/> accepts,
    /// into memory. Keys are entry names with any leading "./" removed.
    /// </summary>
    public static Dictionary<string, byte[]> ReadTarEntries(string path, Func<string, bool> wanted)
    {
        var name = Path.GetFileName(path);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[2];
            var read = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            Stream stream = IsGzip(head.AsSpan(0, read)) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using (stream)
            using (var tar = new TarReader(stream))
            {
                while (tar.GetNextEntry(copyData: false) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                    var entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    if (!wanted(entryName) || entry.DataStream is null) continue;
                    if (entry.Length is < 0 or > MaxEntryBytes)
                        throw new DataFormatException($"{name}:{entryName}", $"implausible entry size {entry.Length} bytes");
                    result[entryName] = ReadDeclared(entry.DataStream, entry.Length, $"{name}:{entryName}");
                }
                // The tar reader stops at the end-of-archive blocks, before the gzip trailer: read the rest so that
                // the gzip CRC-32 and length are checked. Without this a flipped bit inside the compressed data, or a
                // truncated trailer, would load as silently different data.
                if (stream is GZipStream) stream.CopyTo(Stream.Null);
            }
        }
        // A damaged header can make the tar reader fail in several ways (bad checksum, bad octal or PAX numbers,
        // negative or overflowing sizes, names it cannot decode): all mean the same thing to the user.
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or OverflowException
                                      or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new DataFormatException(name, $"corrupt tar archive: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(name, $"cannot read: {e.Message}", e);
        }

        return result;
    }

    // Stops a decompression bomb (a small file that inflates to gigabytes) with a clear error instead of running out of memory.
    internal static void CopyCapped(Stream source, MemoryStream target, string name)
    {
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk)) > 0)
        {
            if (target.Length + read > MaxEntryBytes) throw new DataFormatException(name, $"decompresses to more than {MaxEntryBytes} bytes");
            target.Write(chunk, 0, read);
        }
    }

    private static void CopyDeclared(Stream source, MemoryStream target, string name, Func<ReadOnlySpan<byte>, long> declaredLength, long compressedLength)
    {
        var chunk = new byte[81920];
        long limit = -1;
        int read;
        while ((read = source.Read(chunk, 0, limit < 0 ? 64 : (int)Math.Min(chunk.Length, limit + 1 - target.Length))) > 0)
        {
            target.Write(chunk, 0, read);
            if (limit < 0)
            {
                limit = declaredLength(target.GetBuffer().AsSpan(0, (int)target.Length));
                if (limit > MaxEntryBytes) throw new DataFormatException(name, $"declares {limit} bytes, more than the {MaxEntryBytes} accepted");
                // The exact size, unless the header declares far more than the file could inflate to (then grow with the data).
                if (limit >= 0 && target.Capacity < limit) target.Capacity = (int)Math.Min(limit, Math.Min(compressedLength * 1032, 1L << 26));
            }
            if (limit >= 0 && target.Length > limit)
                throw new DataFormatException(name, $"extra data: decompresses to more than the {limit} bytes its header declares");
            if (limit >= 0 && target.Length == limit)
            {
                // Exactly the declared bytes: one more read must find the end (and checks the gzip CRC and length).
                if (source.Read(chunk, 0, 1) > 0) throw new DataFormatException(name, $"extra data: decompresses to more than the {limit} bytes its header declares");
                return;
            }
        }
        if (limit < 0) declaredLength(target.GetBuffer().AsSpan(0, (int)target.Length)); // too short for a header: its own error
    }

    /// <summary>Largest entry or decompressed file accepted (real MNIST and CIFAR-10 files are far below it).</summary>
    public const long MaxEntryBytes = 1L << 30;

    /// <summary>
    /// Reads an entry that declares <paramref name="length"/> bytes without trusting the declaration for the
    /// allocation: the buffer grows with the data actually present, so a damaged size cannot allocate gigabytes.
    /// </summary>
    private static byte[] ReadDeclared(Stream data, long length, string name)
    {
        using var buffer = new MemoryStream((int)Math.Min(length, 1 << 24));
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while (total < length && (read = data.Read(chunk, 0, (int)Math.Min(chunk.Length, length - total))) > 0)
        {
            buffer.Write(chunk, 0, read);
            total += read;
        }
        if (total != length) throw new DataFormatException(name, $"truncated entry: {total} of {length} bytes");
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    // The gzip trailer's last 4 bytes hold the uncompressed size mod 2^32: a good initial buffer size.
    private static int GuessSize(byte[] gz)
    {
        if (gz.Length < 18) return 0;
        var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(gz.AsSpan(gz.Length - 4));
        // A corrupt trailer must not make us allocate a huge buffer up front: the stream grows if needed.
        return (int)Math.Min(size, Math.Min((long)gz.Length * 32, Array.MaxLength));
    }
}
