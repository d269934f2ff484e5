using TorchSharp.Modules;
using TorchSharp;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// The conditioning vector of the denoiser. γ_t is first normalised to t̃ = (γ_t − γ_min)/(γ_max − γ_min) ∈ [0, 1]
/// (VDM, Appendix B: the network sees γ_t, not t, so a learned schedule does not change its input), then
/// embedded sinusoidally at t̃·1000 (Vaswani et al. 2017; DDPM) and passed through Linear → SiLU → Linear.
/// With <c>numClasses &gt; 0</c> a learned class embedding is added; index <c>numClasses</c> is the null class
/// used for unlabelled inputs and classifier-free guidance.
/// </summary>
public sealed class TimeEmbedding : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear dense0;
    private readonly Linear dense1;
    private readonly Embedding? class_embed;

    public TimeEmbedding(int channels, int condWidth, double gammaMin, double gammaMax, int numClasses = 0)
        : base(nameof(TimeEmbedding))
    {
        if (channels < 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "the sinusoidal embedding needs at least 4 dimensions");
        if (condWidth < 1) throw new ArgumentOutOfRangeException(nameof(condWidth), condWidth, "conditioning width must be positive");
        GammaRange.Check(gammaMin, gammaMax);
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "number of classes cannot be negative");
        Channels = channels;
        CondWidth = condWidth;
        GammaMin = gammaMin;
        GammaMax = gammaMax;
        NumClasses = numClasses;
        dense0 = nn.Linear(channels, condWidth);
        dense1 = nn.Linear(condWidth, condWidth);
        if (numClasses > 0) class_embed = nn.Embedding(numClasses + 1, condWidth);
        RegisterComponents();
    }

    public int Channels { get; }

    public int CondWidth { get; }

    public double GammaMin { get; }

    public double GammaMax { get; }

    public int NumClasses { get; }

    /// <param name="gamma">γ_t, [B].</param>
    /// <param name="labels">Class indices [B], or null (null class when conditional; ignored when unconditional).</param>
    /// <returns>The conditioning vector, [B, condWidth].</returns>
    public override Tensor forward(Tensor gamma, Tensor? labels)
    {
        if (gamma.dim() != 1) throw new ArgumentException($"gamma must be [B], got rank {gamma.dim()}");
        using var scope = NewDisposeScope();
        var tNorm = (gamma - GammaMin) / (GammaMax - GammaMin);
        var emb = Sinusoidal(tNorm * 1000.0, Channels);
        var cond = dense1.call(nn.functional.silu(dense0.call(emb)));
        if (class_embed is not null)
        {
            var batch = gamma.shape[0];
            var classes = labels is null
                ? full(batch, NumClasses, ScalarType.Int64, gamma.device)
                : labels.to(ScalarType.Int64);
            if (classes.dim() != 1 || classes.shape[0] != batch)
                throw new ArgumentException($"labels must be [B] with B = {batch}");
            cond = cond + class_embed.forward(classes);
        }
        return cond.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sinusoidal embedding [B, dim] of scalar positions [B]: half the dimensions sin(p·ω_k), half cos(p·ω_k),
    /// ω_k = 10000^(−k/(dim/2 − 1)); an odd <paramref name="dim"/> is zero-padded by one.
    /// </summary>
    public static Tensor Sinusoidal(Tensor positions, int dim)
    {
        if (dim < 4) throw new ArgumentOutOfRangeException(nameof(dim), dim, "need at least 4 dimensions");
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var rate = Math.Log(10000.0) / (half - 1);
        var freqs = exp(arange(half, positions.dtype, positions.device) * -rate);
        var args = positions.unsqueeze(1) * freqs.unsqueeze(0);
        var emb = cat([args.sin(), args.cos()], 1);
        if (dim % 2 == 1) emb = nn.functional.pad(emb, [0L, 1L]);
        return emb.MoveToOuterDisposeScope();
    }
}
