using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Self-attention over the H·W positions of a feature map, as in the VDM/DDPM U-Nets: GroupNorm → q, k, v by a
/// 1×1 convolution → softmax(q kᵀ/√d) v per head → 1×1 output projection (zero-initialised, so the block starts
/// as the identity) → residual add.
/// </summary>
public sealed class AttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Conv2d qkv;
    private readonly Conv2d proj_out;

    public AttentionBlock(long channels, int heads = 1) : base(nameof(AttentionBlock))
    {
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), heads, "need at least one head");
        if (channels % heads != 0) throw new ArgumentException($"channels ({channels}) must be divisible by heads ({heads})");
        Channels = channels;
        Heads = heads;
        norm = GroupNorms.Create(channels);
        qkv = nn.Conv2d(channels, 3 * channels, 1);
        proj_out = nn.Conv2d(channels, channels, 1);
        Init.Zero(proj_out);
        RegisterComponents();
    }

    public long Channels { get; }

    public int Heads { get; }

    /// <param name="x">[B, C, H, W].</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], height = x.shape[2], width = x.shape[3];
        var headDim = c / Heads;
        // [B, 3C, H, W] → [3, B, heads, H·W, d], copied so that d is the innermost dimension: libtorch's fused
        // (flash) CPU attention needs unit stride there and otherwise falls back to materialising the H·W × H·W
        // attention matrix (3–4× slower for training at 28×28, and far more memory).
        var parts = qkv.call(norm.forward(x))
            .reshape(b, 3, Heads, headDim, height * width)
            .permute(1, 0, 2, 4, 3)
            .contiguous()
            .unbind(0);
        var attended = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2]);
        // [B, heads, H·W, d] → [B, C, H, W]
        var h = attended.permute(0, 1, 3, 2).reshape(b, c, height, width);
        return (x + proj_out.call(h)).MoveToOuterDisposeScope();
    }
}
