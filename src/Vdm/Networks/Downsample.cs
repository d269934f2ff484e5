using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>Halves the resolution with a stride-2 3×3 convolution (size ⌈n/2⌉, so 7 → 4).</summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Downsample(long channels) : base(nameof(Downsample))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.call(x);
}
