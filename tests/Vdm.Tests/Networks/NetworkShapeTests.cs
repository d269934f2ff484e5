using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

[Collection(SerialCollection.Name)]
public class NetworkShapeTests
{
    [Theory]
    [InlineData(NetworkKind.VdmUNet, 1, 28, 28)]
    [InlineData(NetworkKind.VdmUNet, 3, 32, 32)]
    [InlineData(NetworkKind.VdmUNet, 1, 8, 8)]
    [InlineData(NetworkKind.MultiResUNet, 1, 28, 28)]
    [InlineData(NetworkKind.MultiResUNet, 3, 32, 32)]
    [InlineData(NetworkKind.MultiResUNet, 1, 8, 8)]
    public void UNetOutputHasInputShape(NetworkKind kind, long c, long h, long w)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, [c, h, w], multipliers: [1, 2, 2]));
        var z = NetworkFixtures.Input(2, [c, h, w]);
        var out_ = net.forward(z, full(2, -3.0f), null);
        Assert.Equal(z.shape, out_.shape);
    }

    [Fact]
    public void MultiResUNetRestoresOddSizes()
    {
        // 28 → 14 → 7 → 4 on the way down; the way up must come back to 7, 14 and 28 exactly.
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(NetworkKind.MultiResUNet, [1, 28, 28], multipliers: [1, 1, 1, 1]));
        var z = NetworkFixtures.Input(2, [1, 28, 28]);
        Assert.Equal(z.shape, net.forward(z, full(2, 0.0f), null).shape);
    }

    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    public void TwoBlocksPerLevelKeepShape(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var config = NetworkFixtures.Config(kind, [3, 8, 8], multipliers: [1, 2, 2]) with { Blocks = 2 };
        using var net = DenoiserFactory.Create(config);
        var z = NetworkFixtures.Input(2, [3, 8, 8]);
        Assert.Equal(z.shape, net.forward(z, full(2, 0.0f), null).shape);
    }

    [Fact]
    public void DefaultConfigRunsOnMnistShapes()
    {
        // ModelConfig's defaults: multi-resolution U-Net, 32/64/64 channels at 28/14/7, attention, Fourier features.
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var net = DenoiserFactory.Create(new ModelConfig());
        Assert.IsType<MultiResUNet>(net);
        var z = NetworkFixtures.Input(1, [1, 28, 28]);
        using var noGrad = no_grad();
        Assert.Equal(z.shape, net.forward(z, full(1, 0.0f), null).shape);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void MlpOutputHasInputShape(long dim)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(NetworkKind.Mlp, [dim]));
        var z = NetworkFixtures.Input(4, [dim]);
        Assert.Equal(z.shape, net.forward(z, full(4, 1.0f), null).shape);
    }

    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    [InlineData(NetworkKind.Mlp)]
    public void ScalarGammaIsBroadcastOverTheBatch(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var shape = NetworkFixtures.ShapeFor(kind);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape));
        var z = NetworkFixtures.Input(3, shape);
        NetworkFixtures.Train(net, z, full(3, -2.0f), null, randn_like(z), steps: 2);
        net.eval();
        var fromScalar = net.forward(z, tensor(-2.0f), null);
        var fromVector = net.forward(z, full(3, -2.0f), null);
        Assert.True(NetworkFixtures.Same(fromScalar, fromVector));
    }
}
