using Vdm.Data;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Data;

public class Toy2DTests
{
    [Theory]
    [InlineData("swirl", 256)]
    [InlineData("moons", 256)]
    [InlineData("moons", 32)]
    public void ShapeRangeAndDtype(string kind, int vocab)
    {
        using var data = Toy2D.Generate(kind, 1000, seed: 1, vocab);
        Assert.Equal(new long[] { 1000, 2 }, data.Images.shape);
        Assert.Equal(ScalarType.Byte, data.Images.dtype);
        Assert.Null(data.Labels);
        Assert.Equal(vocab, data.Vocab);
        Assert.True(data.Images.max().item<byte>() <= vocab - 1);
        // The points spread over many levels in both coordinates (not collapsed onto a few bins).
        using var distinctX = data.Images[.., 0].unique().Item1;
        Assert.True(distinctX.shape[0] > vocab / 4, $"only {distinctX.shape[0]} distinct x levels");
    }

    [Fact]
    public void SameSeedSameDataOtherSeedOtherData()
    {
        using var a = Toy2D.Swirl(500, seed: 42);
        using var b = Toy2D.Swirl(500, seed: 42);
        using var c = Toy2D.Swirl(500, seed: 43);
        Assert.True(a.Images.equal(b.Images).all().item<bool>());
        Assert.False(a.Images.equal(c.Images).all().item<bool>());
    }

    [Fact]
    public void MoonsHasTwoSeparatedHalves()
    {
        using var data = Toy2D.Moons(2000, seed: 5);
        // The upper moon lies above the lower one on average (y levels), and both halves are mixed in the order.
        using var y = data.Images[.., 1].to_type(ScalarType.Float32);
        var mean = y.mean().item<float>();
        using var above = (y > mean).to_type(ScalarType.Float32);
        Assert.InRange(above[..1000].mean().item<float>(), 0.2f, 0.8f);
    }

    [Fact]
    public void QuantiseMapsTheIntervalOntoAllLevels()
    {
        using var points = tensor(new[] { -1.0, -0.999, 0.0, 0.999, 1.0, 5.0, -5.0 });
        using var q = Toy2D.Quantise(points, 256);
        Assert.Equal(new byte[] { 0, 0, 128, 255, 255, 255, 0 }, q.data<byte>().ToArray());
    }

    [Fact]
    public void UnknownKindIsRejected() =>
        Assert.Throws<ArgumentException>(() => Toy2D.Generate("spiral-galaxy", 10, 0));
}
