using TorchSharp;
using TorchSharp.Modules;

namespace Vdm.Networks;

/// <summary>Group normalisation as used throughout the VDM and DDPM U-Nets (32 groups where possible).</summary>
public static class GroupNorms
{
    /// <summary>
    /// The largest divisor of <paramref name="channels"/> not above min(32, channels/4), at least 1: 32 groups of
    /// 4 channels at the paper's width of 128 (as the VDM code), fewer groups for narrower layers. Keeping at least
    /// 4 channels per group matters: the ResNet block adds the conditioning as a per-channel constant just before
    /// its second GroupNorm, and a group of one channel would subtract that constant right back out, leaving the
    /// network blind to γ_t and the class.
    /// </summary>
    public static long Groups(long channels)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "need at least one channel");
        for (var g = Math.Min(32L, channels / 4); g > 1; g--)
        {
            if (channels % g == 0) return g;
        }
        return 1;
    }

    /// <summary>A GroupNorm over <paramref name="channels"/> channels with <see cref="Groups"/> groups, its affine
    /// weight set to 1 and bias to 0. TorchSharp 0.107.0's GroupNorm allocates both with <c>torch.empty</c> and never
    /// initialises them (unlike LayerNorm and BatchNorm), so they would hold whatever memory was there.</summary>
    public static GroupNorm Create(long channels)
    {
        var norm = torch.nn.GroupNorm(Groups(channels), channels);
        torch.nn.init.ones_(norm.weight);
        if (norm.bias is not null) torch.nn.init.zeros_(norm.bias);
        return norm;
    }
}
