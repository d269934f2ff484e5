using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

/// <summary>The zero-initialised output layer makes an untrained ε-network predict ε̂ = z exactly (the VDM code's
/// "base measure"), and an untrained x- or v-network predict 0.</summary>
[Collection(SerialCollection.Name)]
public class InitialIdentityTests
{
    public static TheoryData<NetworkKind, bool, int> Cases()
    {
        var data = new TheoryData<NetworkKind, bool, int>();
        foreach (var kind in new[] { NetworkKind.VdmUNet, NetworkKind.MultiResUNet, NetworkKind.Mlp })
            foreach (var fourier in new[] { false, true })
                foreach (var classes in new[] { 0, 3 })
                    data.Add(kind, fourier, classes);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void UntrainedEpsNetworkReturnsZ(NetworkKind kind, bool fourier, int numClasses)
    {
        using var scope = NewDisposeScope();
        manual_seed(10);
        var shape = NetworkFixtures.ShapeFor(kind);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape, fourier, numClasses, dropout: 0.1));
        var z = NetworkFixtures.Input(3, shape);
        var labels = numClasses > 0 ? tensor(new long[] { 0, 2, 1 }) : null;
        var out_ = net.forward(z, tensor(new[] { -10.0f, 0.0f, 4.0f }), labels);
        Assert.True(NetworkFixtures.Same(out_, z), $"max |out - z| = {NetworkFixtures.MaxAbsDiff(out_, z)}");
    }

    [Theory]
    [InlineData(NetworkKind.VdmUNet, Prediction.X)]
    [InlineData(NetworkKind.MultiResUNet, Prediction.V)]
    [InlineData(NetworkKind.Mlp, Prediction.X)]
    public void UntrainedXOrVNetworkReturnsZero(NetworkKind kind, Prediction prediction)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var shape = NetworkFixtures.ShapeFor(kind);
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, shape, prediction: prediction));
        Assert.Equal(prediction, net.Prediction);
        var z = NetworkFixtures.Input(2, shape);
        var out_ = net.forward(z, full(2, 0.0f), null);
        Assert.Equal(0.0, out_.abs().max().item<float>());
    }
}
