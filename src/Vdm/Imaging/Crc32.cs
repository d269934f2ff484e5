namespace Vdm.Imaging;

/// <summary>
/// CRC-32 as used by PNG chunks and zlib's gzip cousin (ISO 3309 / ITU-T V.42): reflected polynomial
/// 0xEDB88320, initial value and final XOR 0xFFFFFFFF. Table-driven, one byte at a time.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    /// <summary>Running value before any byte has been seen.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running (not yet finished) value.</summary>
    public static uint Update(uint running, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
            running = Table[(running ^ b) & 0xFF] ^ (running >> 8);
        return running;
    }

    /// <summary>Turns a running value into the CRC.</summary>
    public static uint Finish(uint running) => running ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
