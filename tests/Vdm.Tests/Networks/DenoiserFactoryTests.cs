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
}
