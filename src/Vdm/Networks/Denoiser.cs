using TorchSharp;
using Vdm.Runtime;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// The learned part of the reverse process: sees a noisy z_t, the log-SNR argument γ_t and optionally a class
/// label, and returns its raw prediction (ε, x or v according to <see cref="Prediction"/>), shaped like z.
/// </summary>
public abstract class Denoiser : nn.Module
{
    protected Denoiser(string name) : base(name)
    {
        ConvolutionBackend.EnsureCorrect(); // once per process: wrong oneDNN convolution gradients on some CPUs
    }

    /// <summary>What the raw output stands for.</summary>
    public virtual Prediction Prediction => Prediction.Eps;

    /// <param name="z">Noisy input, [B, ...DataShape].</param>
    /// <param name="gamma">γ_t per example, [B].</param>
    /// <param name="labels">Class indices [B] (int64), or null when unconditional; the null class is NumClasses.</param>
    public abstract Tensor forward(Tensor z, Tensor gamma, Tensor? labels);
}
