namespace Vdm.Networks;

/// <summary>Everything needed to build a denoising network. Serialised next to every checkpoint.</summary>
public sealed record ModelConfig
{
    /// <summary>Shape of one data example without the batch dimension: [C, H, W] for images, [D] for vectors.</summary>
    public long[] DataShape { get; init; } = [1, 28, 28];

    public NetworkKind Network { get; init; } = NetworkKind.MultiResUNet;

    /// <summary>Base channel count (U-Nets) or hidden width (MLP).</summary>
    public int Channels { get; init; } = 32;

    /// <summary>Channel multiplier per resolution level (multi-resolution U-Net only).</summary>
    public int[] ChannelMultipliers { get; init; } = [1, 2, 2];

    /// <summary>ResNet blocks per level (multi-resolution U-Net), at full resolution (VDM U-Net), or MLP layers.</summary>
    public int Blocks { get; init; } = 1;

    /// <summary>Self-attention in the middle block (VDM U-Net) or at the lowest resolution (multi-resolution U-Net).</summary>
    public bool Attention { get; init; } = true;

    /// <summary>Multi-resolution U-Net only: the side of the square patches the network works on. With P &gt; 1 the input
    /// (z and its Fourier features) is folded into [C·P², H/P, W/P] (pixel unshuffle) before the first convolution and
    /// the output unfolded back (pixel shuffle), so every level runs on P² times fewer positions (docs/main-job.md
    /// measures the cost). 1 = pixels.</summary>
    public int PatchSize { get; init; } = 1;

    /// <summary>Append base-2 Fourier features of z as extra input channels (VDM paper, Appendix C).</summary>
    public bool FourierFeatures { get; init; } = true;

    public double Dropout { get; init; } = 0.1;

    /// <summary>Condition the U-Nets' residual blocks by scale and shift of their second normalisation (AdaGN)
    /// instead of adding a bias before it.</summary>
    public bool ScaleShift { get; init; }

    public Prediction Prediction { get; init; } = Prediction.Eps;

    /// <summary>Number of classes for class conditioning; 0 for an unconditional model.
    /// Class index <c>NumClasses</c> is the null class (classifier-free guidance). Before training fits the config to
    /// the data (<see cref="Training.TrainingPlan.FitToData"/>) any positive number asks for a class-conditional model,
    /// and the data's own count of classes replaces it (unlabelled data gets an unconditional model).</summary>
    public int NumClasses { get; init; }

    /// <summary>γ range used to normalise γ_t before the time embedding (not the schedule's learned endpoints).</summary>
    public double GammaMin { get; init; } = -13.3;

    public double GammaMax { get; init; } = 5.0;
}
