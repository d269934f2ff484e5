using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// The residual block of the VDM/DDPM U-Nets: GroupNorm → SiLU → Conv3×3 → + Linear(SiLU(cond)) →
/// GroupNorm → SiLU → Dropout → Conv3×3 (zero-initialised, so the block starts as its skip path) → + skip,
/// where the skip is a 1×1 convolution when the channel counts differ.
/// </summary>
public sealed class ResnetBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear cond_proj;
    private readonly GroupNorm norm2;
    private readonly MaskDropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? nin_shortcut;

    public ResnetBlock(long inChannels, long outChannels, long condWidth, double dropout = 0.0) : base(nameof(ResnetBlock))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        norm1 = GroupNorms.Create(inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        cond_proj = nn.Linear(condWidth, outChannels);
        norm2 = GroupNorms.Create(outChannels);
        this.dropout = new MaskDropout(dropout);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        Init.Zero(conv2);
        if (inChannels != outChannels) nin_shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public long InChannels { get; }

    public long OutChannels { get; }

    /// <param name="x">[B, InChannels, H, W].</param>
    /// <param name="cond">Conditioning vector [B, condWidth].</param>
    /// <returns>[B, OutChannels, H, W].</returns>
    public override Tensor forward(Tensor x, Tensor cond)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.silu(norm1.forward(x)));
        h = h + cond_proj.call(nn.functional.silu(cond)).unsqueeze(-1).unsqueeze(-1);
        h = conv2.call(dropout.forward(nn.functional.silu(norm2.forward(h))));
        var skip = nin_shortcut is null ? x : nin_shortcut.call(x);
        return (skip + h).MoveToOuterDisposeScope();
    }
}
