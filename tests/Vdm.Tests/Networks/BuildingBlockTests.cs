using TorchSharp;
using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

[Collection(SerialCollection.Name)]
public class BuildingBlockTests
{
    [Theory]
    [InlineData(8, 2)]
    [InlineData(16, 4)]
    [InlineData(32, 8)]
    [InlineData(128, 32)]
    [InlineData(256, 32)]
    [InlineData(48, 12)]
    [InlineData(96, 24)]
    [InlineData(4, 1)]
    [InlineData(37, 1)]
    public void GroupCountDividesChannelsAndKeepsFourPerGroup(long channels, long groups) => Assert.Equal(groups, GroupNorms.Groups(channels));

    [Fact]
    public void ResnetBlockStartsAsItsSkipPath()
    {
        using var scope = NewDisposeScope();
        manual_seed(40);
        using var block = new ResnetBlock(8, 8, condWidth: 16, dropout: 0.1);
        var x = randn(2, 8, 5, 7);
        Assert.True(NetworkFixtures.Same(block.forward(x, randn(2, 16)), x));

        using var widening = new ResnetBlock(8, 16, condWidth: 16);
        Assert.Equal(new long[] { 2, 16, 5, 7 }, widening.forward(x, randn(2, 16)).shape);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public void GroupNormStartsAsPlainNormalisation(long channels)
    {
        using var scope = NewDisposeScope();
        using var norm = GroupNorms.Create(channels);
        Assert.True(NetworkFixtures.Same(norm.weight, ones(channels)));
        Assert.True(NetworkFixtures.Same(norm.bias!, zeros(channels)));
    }

    [Fact]
    public void ResnetBlockSeesTheConditioningOnceTrained()
    {
        // The conditioning is a per-channel constant added before the second GroupNorm: it must survive it.
        using var scope = NewDisposeScope();
        manual_seed(43);
        using var block = new ResnetBlock(8, 8, condWidth: 16);
        using (no_grad()) block.named_parameters().Single(p => p.name == "conv2.weight").parameter.normal_(0, 0.1);
        var x = randn(2, 8, 4, 4);
        var diff = NetworkFixtures.MaxAbsDiff(block.forward(x, randn(2, 16)), block.forward(x, randn(2, 16)));
        Assert.True(diff > 1e-3, $"max diff {diff}");
    }

    [Fact]
    public void ScaleShiftConditioningMatchesAdaGNComputedFromTheBlocksOwnWeights()
    {
        // AdaGN: h ↦ GroupNorm(h)·(1 + s) + b with [s, b] = Linear(SiLU(cond)), computed here from the parameters by
        // the functional ops, against the block's forward pass.
        using var scope = NewDisposeScope();
        manual_seed(44);
        using var block = new ResnetBlock(8, 12, condWidth: 16, scaleShift: true);
        var p = block.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        using (no_grad()) p["conv2.weight"].normal_(0, 0.1);
        Assert.Equal(new long[] { 24, 16 }, p["cond_proj.weight"].shape); // a scale and a shift for each of 12 channels
        var x = randn(3, 8, 5, 4);
        var cond = randn(3, 16);

        var h = nn.functional.conv2d(nn.functional.silu(nn.functional.group_norm(x, GroupNorms.Groups(8), p["norm1.weight"], p["norm1.bias"], 1e-5)),
            p["conv1.weight"], p["conv1.bias"], padding: [1, 1]);
        var c = nn.functional.linear(nn.functional.silu(cond), p["cond_proj.weight"], p["cond_proj.bias"]);
        var scale = c.narrow(1, 0, 12).reshape(3, 12, 1, 1);
        var shift = c.narrow(1, 12, 12).reshape(3, 12, 1, 1);
        var normed = nn.functional.group_norm(h, GroupNorms.Groups(12), p["norm2.weight"], p["norm2.bias"], 1e-5) * (scale + 1) + shift;
        var expected = nn.functional.conv2d(x, p["nin_shortcut.weight"], p["nin_shortcut.bias"])
                       + nn.functional.conv2d(nn.functional.silu(normed), p["conv2.weight"], p["conv2.bias"], padding: [1, 1]);

        var diff = NetworkFixtures.MaxAbsDiff(block.forward(x, cond), expected);
        Assert.True(diff < 1e-5, $"max diff {diff}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AttentionBlockStartsAsIdentity(int heads)
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        using var attention = new AttentionBlock(8, heads);
        var x = randn(2, 8, 3, 5);
        Assert.True(NetworkFixtures.Same(attention.forward(x), x));
    }

    [Fact]
    public void AttentionMatchesDirectSoftmaxOnceTheProjectionIsNonZero()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var attention = new AttentionBlock(4, heads: 2);
        var parameters = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad()) parameters["proj_out.weight"].normal_();
        var x = randn(1, 4, 2, 3);
        var got = attention.forward(x);

        // Direct computation: per head, softmax(q kᵀ / √d) v over the 6 positions.
        var h = nn.functional.group_norm(x, GroupNorms.Groups(4), parameters["norm.weight"], parameters["norm.bias"]);
        var qkv = nn.functional.conv2d(h, parameters["qkv.weight"], parameters["qkv.bias"]).reshape(3, 2, 2, 6); // [3, heads, d, HW]
        var heads = new List<Tensor>();
        for (var i = 0; i < 2; i++)
        {
            Tensor q = qkv[0, i].t(), k = qkv[1, i].t(), v = qkv[2, i].t(); // [HW, d]
            heads.Add(softmax(q.matmul(k.t()) / Math.Sqrt(2), 1).matmul(v).t()); // [d, HW]
        }
        var attended = cat(heads, 0).reshape(1, 4, 2, 3);
        var expected = x + nn.functional.conv2d(attended, parameters["proj_out.weight"], parameters["proj_out.bias"]);
        Assert.True(NetworkFixtures.MaxAbsDiff(got, expected) < 1e-5, $"max diff {NetworkFixtures.MaxAbsDiff(got, expected)}");
    }

    [Fact]
    public void SinusoidalEmbeddingHasSinThenCos()
    {
        using var scope = NewDisposeScope();
        var emb = TimeEmbedding.Sinusoidal(tensor(new[] { 0.0f, 500.0f }), 6).data<float>().ToArray();
        // dim 6: half 3, frequencies 10000^(-k/2) = 1, 0.01, 0.0001.
        double[] freqs = [1, 0.01, 1e-4];
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(0.0, emb[k], 6);
            Assert.Equal(1.0, emb[3 + k], 6);
            Assert.Equal(Math.Sin(500 * freqs[k]), emb[6 + k], 4);
            Assert.Equal(Math.Cos(500 * freqs[k]), emb[9 + k], 4);
        }
    }

    [Fact]
    public void UpsampleRestoresTheSkipSize()
    {
        using var scope = NewDisposeScope();
        using var up = new Upsample(4);
        using var down = new Downsample(4);
        var skip = randn(1, 4, 7, 7);
        var low = down.forward(skip);
        Assert.Equal(new long[] { 1, 4, 4, 4 }, low.shape);
        Assert.Equal(skip.shape, up.forward(low, skip).shape);
    }
}
