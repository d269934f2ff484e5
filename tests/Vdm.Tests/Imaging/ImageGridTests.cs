using TorchSharp;
using Vdm.Imaging;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Imaging;

public class ImageGridTests
{
    /// <summary>A distinct, never-zero value for every (image, channel, row, column).</summary>
    private static byte Value(int i, int k, int y, int x) => (byte)((i * 37 + k * 11 + y * 5 + x * 3) % 250 + 1);

    private static Tensor Batch(int n, int c, int h, int w)
    {
        var data = new byte[n * c * h * w];
        for (var i = 0; i < n; i++)
            for (var k = 0; k < c; k++)
                for (var y = 0; y < h; y++)
                    for (var x = 0; x < w; x++)
                        data[((i * c + k) * h + y) * w + x] = Value(i, k, y, x);
        return torch.tensor(data, [n, c, h, w], ScalarType.Byte);
    }

    [Theory]
    [InlineData(5, 3, 4, 6, 3, 3, 2)]  // N not a multiple of the columns: one empty cell
    [InlineData(7, 1, 5, 3, 4, 4, 2)]  // gray, one empty cell
    [InlineData(6, 3, 2, 2, 3, 3, 2)]  // exact fit
    [InlineData(2, 1, 3, 3, 8, 2, 1)]  // fewer images than columns: the grid shrinks to N columns
    [InlineData(1, 3, 4, 5, 1, 1, 1)]
    public void Tiles_AtExpectedPositions_PaddingEverywhereElse(int n, int c, int h, int w, int columns, int expectCols, int expectRows)
    {
        const int pad = 2;
        const byte padValue = 0;
        using var images = Batch(n, c, h, w);
        var grid = ImageGrid.Create(images, columns, pad, padValue);
        var img = grid.Image;

        Assert.Equal((expectCols, expectRows), (grid.Columns, grid.Rows));
        Assert.Equal(expectCols * (w + pad) + pad, img.Width);
        Assert.Equal(expectRows * (h + pad) + pad, img.Height);
        Assert.Equal(c, img.Channels);

        var covered = new bool[img.Width, img.Height];
        for (var i = 0; i < n; i++)
        {
            int ox = pad + i % expectCols * (w + pad), oy = pad + i / expectCols * (h + pad);
            Assert.Equal((ox, oy), grid.TileOrigin(i));
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                {
                    covered[ox + x, oy + y] = true;
                    for (var k = 0; k < c; k++)
                        Assert.Equal(Value(i, k, y, x), img[ox + x, oy + y, k]);
                }
        }
        // Padding and empty cells: every other pixel holds the pad value.
        for (var y = 0; y < img.Height; y++)
            for (var x = 0; x < img.Width; x++)
                if (!covered[x, y])
                    for (var k = 0; k < c; k++)
                        Assert.Equal(padValue, img[x, y, k]);
    }

    [Fact]
    public void PadValue_AndZeroPadding_AreHonoured()
    {
        using var images = Batch(3, 1, 2, 2);
        var grid = ImageGrid.Create(images, columns: 2, padding: 0, padValue: 255);
        Assert.Equal((4, 4), (grid.Image.Width, grid.Image.Height));
        Assert.Equal(Value(2, 0, 1, 1), grid.Image[1, 3]);
        Assert.Equal(255, grid.Image[2, 2]); // the empty fourth cell
        Assert.Equal(255, grid.Image[3, 3]);
    }

    [Fact]
    public void NonContiguousInput_IsReadInLogicalOrder()
    {
        using var nhwc = Batch(2, 1, 3, 4).permute(0, 2, 3, 1).contiguous(); // [N, H, W, 1]
        using var nchw = nhwc.permute(0, 3, 1, 2);                              // a strided view
        var grid = ImageGrid.Create(nchw, columns: 2);
        var (ox, oy) = grid.TileOrigin(1);
        Assert.Equal(Value(1, 0, 2, 3), grid.Image[ox + 3, oy + 2]);
    }

    [Fact]
    public void Save_WritesReadablePng_AndToTensorMatches()
    {
        using var dir = new TempFolder();
        using var images = Batch(5, 3, 4, 6);
        var grid = ImageGrid.Create(images, columns: 3);
        var path = dir.File("grid.png");
        grid.Save(path);
        Assert.Equal(grid.Image.Pixels, PngReader.Read(path).Pixels);

        using var chw = grid.ToTensor();
        Assert.Equal(new long[] { 3, grid.Image.Height, grid.Image.Width }, chw.shape);
        var (ox, oy) = grid.TileOrigin(4);
        Assert.Equal(Value(4, 2, 1, 5), chw[2, oy + 1, ox + 5].item<byte>());
        Assert.Equal(grid.Image.Pixels, ImageTensors.ToImage(chw).Pixels);
    }

    [Fact]
    public void RejectsWrongDtypeOrShape()
    {
        using var floats = torch.zeros(2, 1, 3, 3);
        using var twoChannels = torch.zeros([2, 2, 3, 3], ScalarType.Byte);
        using var threeDims = torch.zeros([1, 3, 3], ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => ImageGrid.Create(floats, 2));
        Assert.Throws<ArgumentException>(() => ImageGrid.Create(twoChannels, 2));
        Assert.Throws<ArgumentException>(() => ImageGrid.Create(threeDims, 2));
    }

    [Fact]
    public void ForwardProcessFigure_IsOneRowStrip()
    {
        using var noisy = Batch(4, 1, 5, 5);
        var strip = ForwardProcessFigure.Create(noisy, padding: 1, padValue: 200);
        Assert.Equal((4, 1), (strip.Columns, strip.Rows));
        Assert.Equal((4 * 6 + 1, 7), (strip.Image.Width, strip.Image.Height));
        Assert.Equal(Value(3, 0, 0, 0), strip.Image[1 + 3 * 6, 1]);
        Assert.Equal(200, strip.Image[0, 0]);
    }

    [Fact]
    public void PointDensityImage_CountsPointsPerCell_WithYUp()
    {
        // Cell (0, 0) twice, (3, 1) once, on a 4×4 lattice drawn at scale 2.
        using var points = torch.tensor(new long[] { 0, 0, 0, 0, 3, 1 }, [3, 2]);
        var img = PointDensityImage.Create(points, levels: 4, scale: 2);
        Assert.Equal((8, 8), (img.Width, img.Height));
        Assert.Equal(0, img[0, 7]);            // bottom-left: the densest cell is black
        Assert.Equal(0, img[1, 6]);
        var single = img[6, 4];                 // x = 3, y = 1 → columns 6..7, rows 4..5
        Assert.InRange(single, (byte)1, (byte)254);
        Assert.Equal(255, img[0, 0]);           // empty cells are white
        Assert.Equal(2 * 2 * 2, img.Pixels.Count(p => p < 255));
    }
}
