using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>
/// A batch of images laid out in a grid, torchvision's <c>make_grid</c> layout: <see cref="Padding"/> pixels
/// around and between tiles, tile i at row i / Columns, column i % Columns. Unlike make_grid, N need not be
/// a multiple of the column count: cells past the last image are filled with the pad value.
/// </summary>
public sealed class ImageGrid
{
    private ImageGrid(PngImage image, int count, int columns, int rows, int tileWidth, int tileHeight, int padding)
    {
        Image = image;
        Count = count;
        Columns = columns;
        Rows = rows;
        TileWidth = tileWidth;
        TileHeight = tileHeight;
        Padding = padding;
    }

    /// <summary>Lays out a uint8 [N, C, H, W] batch (C = 1 or 3).</summary>
    /// <param name="images">The batch; any device, read once.</param>
    /// <param name="columns">Tiles per row; when N is smaller, the grid has N columns (as make_grid does).</param>
    /// <param name="padding">Pixels around and between tiles.</param>
    /// <param name="padValue">Value of padding and empty cells, in every channel.</param>
    public static ImageGrid Create(Tensor images, int columns, int padding = 2, byte padValue = 0)
    {
        ImageTensors.CheckBatch(images, nameof(images));
        if (columns <= 0) throw new ArgumentOutOfRangeException(nameof(columns), $"columns must be positive, got {columns}");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"padding must be non-negative, got {padding}");
        var (n, c, h, w) = ((int)images.shape[0], (int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        var cols = Math.Min(columns, n);
        var rows = (n + cols - 1) / cols;
        var gridW = checked(cols * (w + padding) + padding);
        var gridH = checked(rows * (h + padding) + padding);
        var image = PngImage.Filled(gridW, gridH, c, padValue);
        var grid = new ImageGrid(image, n, cols, rows, w, h, padding);

        var src = ImageTensors.Bytes(images); // [N, C, H, W] planar
        var dst = image.Pixels;               // [gridH, gridW, C] interleaved
        for (var i = 0; i < n; i++)
        {
            var (ox, oy) = grid.TileOrigin(i);
            for (var k = 0; k < c; k++)
                for (var y = 0; y < h; y++)
                {
                    var srcRow = ((i * c + k) * h + y) * w;
                    var dstRow = ((oy + y) * gridW + ox) * c + k;
                    for (var x = 0; x < w; x++)
                        dst[dstRow + x * c] = src[srcRow + x];
                }
        }
        return grid;
    }

    /// <summary>The grid as an image ([H, W, C] bytes).</summary>
    public PngImage Image { get; }

    /// <summary>Number of images placed (N).</summary>
    public int Count { get; }

    public int Columns { get; }

    public int Rows { get; }

    public int TileWidth { get; }

    public int TileHeight { get; }

    public int Padding { get; }

    /// <summary>Top-left pixel (x, y) of tile <paramref name="index"/> in the grid image.</summary>
    public (int X, int Y) TileOrigin(int index)
    {
        if (index < 0 || index >= Columns * Rows) throw new ArgumentOutOfRangeException(nameof(index));
        return (Padding + index % Columns * (TileWidth + Padding), Padding + index / Columns * (TileHeight + Padding));
    }

    /// <summary>The grid as a uint8 [C, H, W] CPU tensor (e.g. for TensorBoard's add_image).</summary>
    public Tensor ToTensor() => ImageTensors.ToTensor(Image);

    /// <summary>Writes the grid as a PNG, atomically.</summary>
    public void Save(string path) => PngWriter.Write(path, Image);
}
