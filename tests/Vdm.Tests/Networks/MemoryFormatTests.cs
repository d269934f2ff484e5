using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

/// <summary>Channels-last is a layout, not a model: the same values, and the U-Nets compute the same outputs and
/// gradients with it on or off.</summary>
[Collection(SerialCollection.Name)]
public class MemoryFormatTests
{
    [Fact]
    public void ToChannelsLast_keeps_the_values_and_gives_nhwc_strides()
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);
        var cl = MemoryFormat.ToChannelsLast(x);
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
        Assert.True(MemoryFormat.IsChannelsLast(cl));
        Assert.False(MemoryFormat.IsChannelsLast(x));
        Assert.Equal(0.0, NetworkFixtures.MaxAbsDiff(x, cl));
    }

    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    public void UNets_give_the_same_outputs_and_gradients_channels_last(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        long[] shape = [1, 8, 8];
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape, multipliers: [1, 2]));
        using (no_grad())
            foreach (var p in net.parameters()) p.add_(randn_like(p) * 0.1); // move off the zero-initialised identity
        var z = NetworkFixtures.Input(4, shape);
        var gamma = tensor(new[] { -8f, -2f, 1f, 4f });

        var (outNchw, gradsNchw) = ForwardBackward(net, z, gamma, channelsLast: false);
        var (outNhwc, gradsNhwc) = ForwardBackward(net, z, gamma, channelsLast: true);

        Assert.True(NetworkFixtures.MaxAbsDiff(outNchw, z) > 1e-3, "the perturbed network must not be the identity");
        Assert.True(NetworkFixtures.MaxAbsDiff(outNchw, outNhwc) < 1e-4, $"outputs differ by {NetworkFixtures.MaxAbsDiff(outNchw, outNhwc)}");
        for (var i = 0; i < gradsNchw.Length; i++)
        {
            var scale = Math.Max(1.0, gradsNchw[i].abs().max().item<float>());
            Assert.True(NetworkFixtures.MaxAbsDiff(gradsNchw[i], gradsNhwc[i]) < 1e-4 * scale, $"gradient {i} differs");
        }
    }

    private static (Tensor Output, Tensor[] Grads) ForwardBackward(Denoiser net, Tensor z, Tensor gamma, bool channelsLast)
    {
        var before = MemoryFormat.ChannelsLast;
        MemoryFormat.ChannelsLast = channelsLast;
        try
        {
            net.zero_grad();
            var output = net.forward(z, gamma, null);
            (output * output).sum().backward();
            return (output.detach(), net.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        finally
        {
            MemoryFormat.ChannelsLast = before;
        }
    }
}
