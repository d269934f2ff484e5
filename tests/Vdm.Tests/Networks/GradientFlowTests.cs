using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

/// <summary>
/// After a few optimiser steps every parameter receives a non-zero gradient. Zero-initialised layers block the
/// gradient to the layers before them until they have moved once (step 1 moves the output layer, step 2 the last
/// layer of each residual branch, step 3 reaches everything), so the check is made on the third backward pass.
/// </summary>
[Collection(SerialCollection.Name)]
public class GradientFlowTests
{
    [Theory]
    [InlineData(NetworkKind.VdmUNet)]
    [InlineData(NetworkKind.MultiResUNet)]
    [InlineData(NetworkKind.Mlp)]
    public void EveryParameterGetsAGradient(NetworkKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(30);
        var shape = NetworkFixtures.ShapeFor(kind);
        var config = NetworkFixtures.Config(kind, shape, fourier: true, numClasses: 2, dropout: 0.1);
        using var net = DenoiserFactory.Create(config);
        var z = NetworkFixtures.Input(4, shape);
        NetworkFixtures.Train(net, z, tensor(new[] { -12.0f, -4.0f, 0.0f, 4.0f }), tensor(new long[] { 0, 1, 2, 1 }), randn_like(z), steps: 3);

        var missing = new List<string>();
        foreach (var (name, p) in net.named_parameters())
        {
            if (p.grad is null) missing.Add($"{name}: no grad");
            else if (p.grad.abs().max().item<float>() == 0) missing.Add($"{name}: grad all zero");
        }
        Assert.True(missing.Count == 0, "parameters without gradient:\n" + string.Join("\n", missing));
        Assert.NotEmpty(net.named_parameters());
    }
}
