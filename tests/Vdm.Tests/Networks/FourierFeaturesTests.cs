using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

[Collection(SerialCollection.Name)]
public class FourierFeaturesTests
{
    /// <summary>Expected value of output channel <paramref name="outChannel"/> for the input value <paramref name="z"/>
    /// of input channel c: channels are [sin (c, n) for c, n] then [cos (c, n) for c, n].</summary>
    private static double Expected(int outChannel, int channels, int minExp, int count, Func<int, double> zOfChannel)
    {
        var isCos = outChannel >= channels * count;
        var index = outChannel % (channels * count);
        int c = index / count, n = minExp + index % count;
        var angle = Math.Pow(2, n) * 2 * Math.PI * zOfChannel(c);
        return isCos ? Math.Cos(angle) : Math.Sin(angle);
    }

    [Fact]
    public void ImageFeaturesMatchDirectComputation()
    {
        using var scope = NewDisposeScope();
        var values = new float[] { 0.1f, -0.25f, 0.5f, 0.003f, -0.7f, 0.33f, 0.9f, -0.01f }; // [1, 2, 2, 2]
        var z = tensor(values).reshape(1, 2, 2, 2);
        using var ff = new FourierFeatures();
        var out_ = ff.forward(z);
        Assert.Equal(new long[] { 1, 8, 2, 2 }, out_.shape);
        Assert.Equal(8, ff.ExtraChannels(2));
        var got = out_.data<float>().ToArray();
        for (var o = 0; o < 8; o++)
            for (var y = 0; y < 2; y++)
                for (var x = 0; x < 2; x++)
                {
                    var expected = Expected(o, 2, 6, 2, c => values[c * 4 + y * 2 + x]);
                    Assert.Equal(expected, got[o * 4 + y * 2 + x], 3);
                }
    }

    [Fact]
    public void VectorFeaturesMatchDirectComputationForAnotherRange()
    {
        using var scope = NewDisposeScope();
        var values = new float[] { 0.2f, -0.4f, 0.05f, 0.6f, -0.15f, 0.8f }; // [2, 3]
        var z = tensor(values).reshape(2, 3);
        using var ff = new FourierFeatures(minExponent: 1, maxExponent: 3);
        var out_ = ff.forward(z);
        Assert.Equal(new long[] { 2, 18 }, out_.shape);
        var got = out_.data<float>().ToArray();
        for (var b = 0; b < 2; b++)
            for (var o = 0; o < 18; o++)
            {
                var expected = Expected(o, 3, 1, 3, c => values[b * 3 + c]);
                Assert.Equal(expected, got[b * 18 + o], 4);
            }
    }
}
