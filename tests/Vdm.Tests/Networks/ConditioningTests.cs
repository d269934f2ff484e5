using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

/// <summary>
/// Once trained a little, the output depends on γ_t and on the class label. In the U-Nets the conditioning enters
/// each ResNet block before its zero-initialised second convolution, and Adam leaves a parameter with an exactly
/// zero gradient untouched, so after a single step only the output layer has moved and the output cannot yet
/// depend on γ; the second step moves those convolutions. Hence two steps here.
/// </summary>
[Collection(SerialCollection.Name)]
public class ConditioningTests
{
    private const int Steps = 2;

    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    [InlineData(NetworkKind.Mlp)]
    public void DifferentGammaGivesDifferentOutput(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(20);
        var shape = NetworkFixtures.ShapeFor(kind);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape));
        var z = NetworkFixtures.Input(4, shape);
        NetworkFixtures.Train(net, z, tensor(new[] { -12.0f, -4.0f, 0.0f, 4.0f }), null, randn_like(z), Steps);
        net.eval();
        using var noGrad = no_grad();
        var low = net.forward(z, full(4, -8.0f), null);
        var high = net.forward(z, full(4, 3.0f), null);
        Assert.True(NetworkFixtures.MaxAbsDiff(low, high) > 1e-5, $"max diff {NetworkFixtures.MaxAbsDiff(low, high)}");
    }

    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    [InlineData(NetworkKind.Mlp)]
    public void DifferentLabelsGiveDifferentOutput(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var shape = NetworkFixtures.ShapeFor(kind);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape, numClasses: 3));
        var z = NetworkFixtures.Input(4, shape);
        var gamma = full(4, -1.0f);
        NetworkFixtures.Train(net, z, gamma, tensor(new long[] { 0, 1, 2, 3 }), randn_like(z), Steps);
        net.eval();
        using var noGrad = no_grad();
        var first = net.forward(z, gamma, zeros(4, ScalarType.Int64));
        var second = net.forward(z, gamma, ones(4, ScalarType.Int64));
        var unlabelled = net.forward(z, gamma, null);
        var nullClass = net.forward(z, gamma, full(4, 3L, ScalarType.Int64));
        Assert.True(NetworkFixtures.MaxAbsDiff(first, second) > 1e-5, $"max diff {NetworkFixtures.MaxAbsDiff(first, second)}");
        Assert.True(NetworkFixtures.Same(unlabelled, nullClass), "labels = null must mean the null class");
    }

    [Fact]
    public void UnconditionalNetworkIgnoresLabels()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(NetworkKind.Mlp, [2]));
        var z = NetworkFixtures.Input(4, [2]);
        NetworkFixtures.Train(net, z, full(4, 0.0f), null, randn_like(z), Steps);
        net.eval();
        using var noGrad = no_grad();
        Assert.True(NetworkFixtures.Same(net.forward(z, full(4, 0.0f), null), net.forward(z, full(4, 0.0f), ones(4, ScalarType.Int64))));
    }
}
