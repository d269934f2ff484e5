using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Restores a resolution: nearest-neighbour interpolation to exactly the skip connection's H×W (so odd sizes such
/// as 4 → 7 come back right), then a 3×3 convolution.
/// </summary>
public sealed class Upsample : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Upsample(long channels) : base(nameof(Upsample))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="x">[B, C, h, w].</param>
    /// <param name="like">Any tensor [B, ·, H, W] whose spatial size the output takes.</param>
    public override Tensor forward(Tensor x, Tensor like)
    {
        using var scope = NewDisposeScope();
        var up = nn.functional.interpolate(x, size: [like.shape[2], like.shape[3]], mode: InterpolationMode.Nearest);
        return conv.call(up).MoveToOuterDisposeScope();
    }
}
