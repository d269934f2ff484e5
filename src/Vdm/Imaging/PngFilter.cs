namespace Vdm.Imaging;

/// <summary>
/// PNG scanline filters (PNG spec, section 9): each row is stored as a filter byte followed by the row
/// transformed against its left neighbour a, the byte above b and the upper-left c (bpp bytes back).
/// </summary>
internal static class PngFilter
{
    public const byte None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4;

    /// <summary>Writes <paramref name="row"/> filtered with <paramref name="type"/> into <paramref name="output"/>.</summary>
    public static void Apply(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            output[i] = (byte)(row[i] - Predict(type, a, b, c));
        }
    }

    /// <summary>Undoes the filter in place: <paramref name="row"/> holds filtered bytes on entry, raw bytes on exit.</summary>
    public static void Undo(byte type, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        if (type > Paeth) throw new InvalidDataException($"unknown PNG filter type {type}");
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            row[i] = (byte)(row[i] + Predict(type, a, b, c));
        }
    }

    /// <summary>
    /// The usual heuristic (PNG spec, 12.8): the filter whose output, read as signed bytes, has the smallest sum
    /// of absolute values; writes that filtered row to <paramref name="output"/> and returns its type.
    /// </summary>
    public static byte ApplyBest(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output, Span<byte> scratch)
    {
        var best = None;
        var bestCost = long.MaxValue;
        for (byte type = None; type <= Paeth; type++)
        {
            Apply(type, row, prior, bpp, scratch);
            long cost = 0;
            foreach (var v in scratch) cost += Math.Abs((int)(sbyte)v);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = type;
                scratch.CopyTo(output);
            }
        }
        return best;
    }

    private static int Predict(byte type, int a, int b, int c) => type switch
    {
        None => 0,
        Sub => a,
        Up => b,
        Average => (a + b) >> 1,
        Paeth => PaethPredictor(a, b, c),
        _ => throw new InvalidDataException($"unknown PNG filter type {type}"),
    };

    private static int PaethPredictor(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }
}
