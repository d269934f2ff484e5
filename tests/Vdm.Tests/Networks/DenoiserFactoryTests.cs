using Vdm.Networks;
using Xunit;

namespace Vdm.Tests.Networks;

[Collection(SerialCollection.Name)]
public class DenoiserFactoryTests
{
    private static readonly ModelConfig Good = NetworkFixtures.Config(NetworkKind.MultiResUNet, [1, 8, 8]);

    public static TheoryData<string, ModelConfig, string> BadConfigs() => new()
    {
        { "MLP on images", Good with { Network = NetworkKind.Mlp }, "DataShape" },
        { "U-Net on vectors", Good with { Network = NetworkKind.VdmUNet, DataShape = [2] }, "DataShape" },
        { "empty shape", Good with { DataShape = [] }, "DataShape" },
        { "zero dimension", Good with { DataShape = [1, 0, 8] }, "DataShape" },
        { "no multipliers", Good with { ChannelMultipliers = [] }, "ChannelMultipliers" },
        { "zero multiplier", Good with { ChannelMultipliers = [1, 0] }, "ChannelMultipliers" },
        { "too few channels", Good with { Channels = 2 }, "Channels" },
        { "no blocks", Good with { Blocks = 0 }, "Blocks" },
        { "dropout 1", Good with { Dropout = 1.0 }, "Dropout" },
        { "negative classes", Good with { NumClasses = -1 }, "NumClasses" },
        { "inverted gamma range", Good with { GammaMin = 5, GammaMax = -13.3 }, "gamma max (-13.3) must exceed" },
        { "unknown kind", Good with { Network = (NetworkKind)42 }, "network kind" },
        { "patch not dividing the image", Good with { PatchSize = 3 }, "PatchSize 3 does not divide the image size 8×8" },
        { "patch 0", Good with { PatchSize = 0 }, "PatchSize must be in [1, 8]" },
        { "patches on the VDM U-Net", Good with { Network = NetworkKind.VdmUNet, PatchSize = 2 }, "PatchSize applies to the multi-resolution U-Net only" },
        { "scale-shift on the MLP", new ModelConfig { DataShape = [2], Network = NetworkKind.Mlp, ScaleShift = true }, "ScaleShift applies to the U-Nets only" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void RejectsBadConfig(string why, ModelConfig config, string mentions)
    {
        var error = Assert.Throws<ArgumentException>(() => DenoiserFactory.Create(config));
        Assert.True(error.Message.Contains(mentions, StringComparison.Ordinal), $"{why}: message '{error.Message}' should mention {mentions}");
    }

    [Fact]
    public void RejectsNullConfig() => Assert.Throws<ArgumentNullException>(() => DenoiserFactory.Create(null!));

    [Theory]
    [InlineData(NetworkKind.VdmUNet, typeof(VdmUNet))]
    [InlineData(NetworkKind.MultiResUNet, typeof(MultiResUNet))]
    [InlineData(NetworkKind.Mlp, typeof(MlpScoreNet))]
    public void BuildsTheRequestedKind(NetworkKind kind, Type expected)
    {
        using var net = DenoiserFactory.Create(NetworkFixtures.Config(kind, NetworkFixtures.ShapeFor(kind)));
        Assert.IsType(expected, net);
    }

    /// <summary>With patches of P×P the first convolution reads C·P² channels (z and its Fourier features folded) on an
    /// (H/P)×(W/P) grid and the last writes C·P², unfolded back to [C, H, W]; the output is not the identity's once the
    /// zero-initialised head is perturbed, and it stays the same for the same input (no stray randomness).</summary>
    [Fact]
    public void PatchesFoldPixelsIntoChannelsAndBack()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var config = NetworkFixtures.Config(NetworkKind.MultiResUNet, [1, 8, 8]) with { PatchSize = 2, FourierFeatures = true, Dropout = 0 };
        using var pixels = DenoiserFactory.Create(config with { PatchSize = 1 });
        using var net = DenoiserFactory.Create(config);
        var shapes = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var pixelShapes = pixels.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(pixelShapes["conv_in.weight"][1] * 4, shapes["conv_in.weight"][1]);
        Assert.Equal(4L, shapes["conv_out.weight"][0]);
        Assert.Equal(1L, pixelShapes["conv_out.weight"][0]);

        using (TorchSharp.torch.no_grad())
            foreach (var (name, parameter) in net.named_parameters())
                if (name.StartsWith("conv_out", StringComparison.Ordinal)) parameter.normal_(0, 0.1);
        net.eval();
        var z = TorchSharp.torch.randn(3, 1, 8, 8);
        var gamma = TorchSharp.torch.tensor(new[] { -5f, 0f, 3f });
        var out1 = net.forward(z, gamma, null);
        Assert.Equal(new long[] { 3, 1, 8, 8 }, out1.shape);
        Assert.True((out1 - z).abs().max().item<float>() > 1e-3, "the perturbed head should change the output");
        Assert.Equal(0f, (net.forward(z, gamma, null) - out1).abs().max().item<float>());
    }
}
