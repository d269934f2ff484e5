using static TorchSharp.torch;

namespace Vdm.Imaging;

/// <summary>
/// One image diffused at increasing t (z_t for t_1 &lt; … &lt; t_K, already decoded to uint8), shown as a single
/// row left to right: clean on the left, noise on the right. No captions: the caller knows the t values.
/// </summary>
public static class ForwardProcessFigure
{
    /// <param name="noisy">uint8 [K, C, H, W]: the same image at K noise levels, in order.</param>
    /// <param name="padding">Pixels around and between frames.</param>
    /// <param name="padValue">Value of the padding.</param>
    public static ImageGrid Create(Tensor noisy, int padding = 2, byte padValue = 255)
    {
        ImageTensors.CheckBatch(noisy, nameof(noisy));
        return ImageGrid.Create(noisy, columns: (int)noisy.shape[0], padding, padValue);
    }

    /// <summary>Builds the strip and writes it as a PNG, atomically.</summary>
    public static void Save(string path, Tensor noisy, int padding = 2, byte padValue = 255) =>
        Create(noisy, padding, padValue).Save(path);
}
