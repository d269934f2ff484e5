namespace Vdm.Networks;

/// <summary>Which denoising network to build.</summary>
public enum NetworkKind
{
    /// <summary>The VDM paper's U-Net: every block at full resolution, attention in the middle.</summary>
    VdmUNet,

    /// <summary>A down/up-sampling U-Net with attention at the lowest resolution; much cheaper on a CPU.</summary>
    MultiResUNet,

    /// <summary>A residual MLP for vector (e.g. 2-D toy) data.</summary>
    Mlp,
}
