using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Denoiser for vector data [B, D] such as 2-D toy distributions: z (with optional Fourier features) →
/// Linear to <c>Channels</c> → <c>Blocks</c> residual MLP blocks conditioned on γ_t (and the class) →
/// [LayerNorm] → SiLU → zero-initialised Linear back to D, so an untrained ε-network predicts ε̂ = z.
/// </summary>
public sealed class MlpScoreNet : Denoiser
{
    private readonly ModelConfig config;
    private readonly FourierFeatures? fourier;
    private readonly TimeEmbedding time_embed;
    private readonly Linear fc_in;
    private readonly ModuleList<MlpBlock> blocks;
    private readonly LayerNorm? norm_out;
    private readonly Linear fc_out;

    public MlpScoreNet(ModelConfig config, bool layerNorm = true) : base(nameof(MlpScoreNet))
    {
        DenoiserFactory.Validate(config, NetworkKind.Mlp);
        this.config = config;
        long dim = config.DataShape[0], hidden = config.Channels, condWidth = 4L * config.Channels;
        var inFeatures = dim;
        if (config.FourierFeatures)
        {
            fourier = new FourierFeatures();
            inFeatures += fourier.ExtraChannels(dim);
        }
        time_embed = new TimeEmbedding(config.Channels, (int)condWidth, config.GammaMin, config.GammaMax, config.NumClasses);
        fc_in = nn.Linear(inFeatures, hidden);
        blocks = new ModuleList<MlpBlock>();
        for (var i = 0; i < config.Blocks; i++) blocks.Add(new MlpBlock(hidden, condWidth, config.Dropout, layerNorm));
        if (layerNorm) norm_out = nn.LayerNorm(hidden);
        fc_out = nn.Linear(hidden, dim);
        Init.Zero(fc_out);
        RegisterComponents();
    }

    public ModelConfig Config => config;

    public override Prediction Prediction => config.Prediction;

    public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var cond = time_embed.forward(DenoiserInputs.BatchGamma(gamma, z), labels);
        var input = fourier is null ? z : cat([z, fourier.forward(z)], 1);
        var h = fc_in.call(input);
        foreach (var block in blocks) h = block.forward(h, cond);
        if (norm_out is not null) h = norm_out.forward(h);
        h = fc_out.call(nn.functional.silu(h));
        return DenoiserInputs.Output(z, h, config.Prediction).MoveToOuterDisposeScope();
    }
}
