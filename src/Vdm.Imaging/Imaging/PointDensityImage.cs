using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>
/// Quick look at discrete 2-D toy data without a plot: a V×V gray image where each pixel's darkness grows with
/// the number of points on that cell (white = none, black = the most crowded cell). y grows upwards.
/// </summary>
public static class PointDensityImage
{
    /// <param name="points">[N, 2] tensor of (x, y) values in 0..V−1 (any numeric dtype; rounded).</param>
    /// <param name="levels">V, the number of values per coordinate.</param>
    /// <param name="scale">Each cell is drawn as scale×scale pixels.</param>
    public static PngImage Create(Tensor points, int levels, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.dim() != 2 || points.shape[1] != 2)
            throw new ArgumentException($"expected shape [N, 2], got [{string.Join(", ", points.shape)}]", nameof(points));
        if (levels <= 0) throw new ArgumentOutOfRangeException(nameof(levels));
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale));

        long[] xy;
        using (NewDisposeScope())
            xy = (points.is_floating_point() ? points.cpu().round() : points.cpu()).to(ScalarType.Int64).contiguous().data<long>().ToArray();

        var counts = new int[levels * levels];
        for (var i = 0; i < xy.Length; i += 2)
        {
            long x = xy[i], y = xy[i + 1];
            if (x < 0 || x >= levels || y < 0 || y >= levels)
                throw new ArgumentOutOfRangeException(nameof(points), $"point ({x}, {y}) is outside 0..{levels - 1}");
            counts[(levels - 1 - y) * levels + x]++; // row 0 is the top: largest y
        }

        var max = Math.Max(1, counts.Max());
        var size = checked(levels * scale);
        var pixels = new byte[size * size];
        for (var py = 0; py < size; py++)
            for (var px = 0; px < size; px++)
            {
                var count = counts[py / scale * levels + px / scale];
                // sqrt keeps sparse regions visible next to dense ones
                pixels[py * size + px] = (byte)Math.Round(255 * (1 - Math.Sqrt((double)count / max)));
            }
        return new PngImage(size, size, 1, pixels);
    }
}
