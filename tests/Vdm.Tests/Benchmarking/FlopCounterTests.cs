using TorchSharp.Modules;
using TorchSharp;
using Vdm.Benchmarking;
using Vdm.Networks;
using Vdm.Tests.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Benchmarking;

/// <remarks>Serial: the leak check compares TorchSharp's process-wide live-tensor count, which tests running beside it change.</remarks>
[Collection(SerialCollection.Name)]
public class FlopCounterTests
{
    /// <summary>A denoiser made of one layer, so that its count can be checked by hand.</summary>
    private sealed class OneLayer : Denoiser
    {
        private readonly nn.Module<Tensor, Tensor> layer;

        public OneLayer(nn.Module<Tensor, Tensor> layer) : base(nameof(OneLayer))
        {
            this.layer = layer;
            RegisterComponents();
        }

        public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels) => layer.call(z);
    }

    [Fact]
    public void ConvolutionIsTwiceItsMultiplyAdds()
    {
        // 3 → 8 channels, 3×3 kernel, stride 2, padding 1: 9×9 → 5×5. Per output value 3·9 multiply-adds.
        using var net = new OneLayer(nn.Conv2d(3, 8, 3, stride: 2, padding: 1));
        var count = FlopCounter.Count(net, [3, 9, 9], batch: 2);
        var layer = Assert.Single(count.Layers);
        Assert.Equal(LayerKind.Conv2d, layer.Kind);
        Assert.Equal(2L * 2 * 8 * 5 * 5 * 3 * 9, layer.Flops); // 21,600
        Assert.Equal(new long[] { 2, 8, 5, 5 }, layer.OutputShape);
        Assert.Equal(3 * 21_600L, count.TrainingStep);
    }

    [Fact]
    public void GroupedConvolutionCountsInputChannelsPerGroup()
    {
        using var net = new OneLayer(nn.Conv2d(4, 6, 1, groups: 2));
        var count = FlopCounter.Count(net, [4, 3, 3], batch: 1);
        Assert.Equal(2L * 6 * 3 * 3 * 2, count.Forward); // 2 input channels per group
    }

    [Fact]
    public void LinearCountsEveryRowOfItsInput()
    {
        using var net = new OneLayer(nn.Linear(6, 4));
        Assert.Equal(2L * 3 * 6 * 4, FlopCounter.Count(net, [6], batch: 3).Forward);       // 144
        Assert.Equal(2L * 3 * 5 * 6 * 4, FlopCounter.Count(net, [5, 6], batch: 3).Forward); // 5 rows per example: 720
    }

    [Fact]
    public void AttentionBlockCountsProjectionsAndBothMatrixProducts()
    {
        // 8 channels, 2 heads of 4, on 4×4 = 16 positions, batch 2.
        using var net = new OneLayer(new AttentionBlock(8, heads: 2));
        var count = FlopCounter.Count(net, [8, 4, 4], batch: 2);
        long qkv = 2L * 2 * 24 * 16 * 8;          // 1×1 conv 8 → 24: 12,288
        long products = 2 * (2L * 2 * 2 * 16 * 16 * 4); // q kᵀ and attn·v, per head [16×4]×[4×16] and [16×16]×[16×4]: 16,384
        long proj = 2L * 2 * 8 * 16 * 8;          // 1×1 conv 8 → 8: 4,096
        Assert.Equal(qkv, count.Layers.Single(l => l.Name.EndsWith("qkv", StringComparison.Ordinal)).Flops);
        Assert.Equal(proj, count.Layers.Single(l => l.Name.EndsWith("proj_out", StringComparison.Ordinal)).Flops);
        Assert.Equal(products, count.OfKind(LayerKind.Attention));
        Assert.Equal(qkv + products + proj, count.Forward);
    }

    [Fact]
    public void UNetCountSeesEveryLayerOnceAndScalesWithTheBatch()
    {
        var config = new ModelConfig
        {
            Network = NetworkKind.VdmUNet,
            DataShape = [1, 8, 8],
            Channels = 8,
            Blocks = 2,
            Attention = true,
            FourierFeatures = true,
            Dropout = 0.1,
        };
        using var net = DenoiserFactory.Create(config);
        net.train();
        long live = SettledTensorCount();
        var one = FlopCounter.Count(net, config.DataShape, batch: 1);
        var four = FlopCounter.Count(net, config.DataShape, batch: 4);
        Assert.Equal(4 * one.Forward, four.Forward);
        // conv_in, 2 per ResNet block (2 down + 2 middle + 3 up), 3 up-block shortcuts, qkv, proj_out, conv_out.
        Assert.Equal(1 + 2 * 7 + 3 + 2 + 1, one.Layers.Count(l => l.Kind == LayerKind.Conv2d));
        // time embedding (2) and one conditioning projection per ResNet block (7).
        Assert.Equal(2 + 7, one.Layers.Count(l => l.Kind == LayerKind.Linear));
        Assert.Equal(1, one.Layers.Count(l => l.Kind == LayerKind.Attention));
        // conv_in on 1 + 4 Fourier channels: 2·8·64·5·9 per example.
        Assert.Equal(2L * 8 * 64 * 5 * 9, one.Layers.First(l => l.Name == "conv_in").Flops);
        Assert.True(net.training, "counting must restore training mode");
        Assert.Equal(live, Tensor.TotalCount); // no GC here: a tensor the counter dropped undisposed still counts
    }

    /// <summary>The process-wide live-tensor count once the finalizers of tensors that earlier tests dropped have run
    /// (they lowered the count at unpredictable moments: 2430 → 2407 across this test alone). Taken before counting only.</summary>
    private static long SettledTensorCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}
