using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// The VDM paper's denoising network (Kingma et al. 2021, Appendix B): a U-Net whose blocks all run at full
/// resolution. z (with optional base-2 Fourier features, Appendix C) → Conv3×3 → <c>Blocks</c> ResNet blocks
/// (each output kept as a skip, as is the conv-in output) → middle ResNet, attention, ResNet → <c>Blocks + 1</c>
/// ResNet blocks on concat(h, skip) → GroupNorm → SiLU → zero-initialised Conv3×3.
/// </summary>
public sealed class VdmUNet : Denoiser
{
    private readonly ModelConfig config;
    private readonly FourierFeatures? fourier;
    private readonly TimeEmbedding time_embed;
    private readonly Conv2d conv_in;
    private readonly ModuleList<ResnetBlock> down;
    private readonly ResnetBlock mid_block1;
    private readonly AttentionBlock? mid_attn;
    private readonly ResnetBlock mid_block2;
    private readonly ModuleList<ResnetBlock> up;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;

    public VdmUNet(ModelConfig config) : base(nameof(VdmUNet))
    {
        DenoiserFactory.Validate(config, NetworkKind.VdmUNet);
        this.config = config;
        long dataChannels = config.DataShape[0], ch = config.Channels, condWidth = 4L * config.Channels;
        var inChannels = dataChannels;
        if (config.FourierFeatures)
        {
            fourier = new FourierFeatures();
            inChannels += fourier.ExtraChannels(dataChannels);
        }
        time_embed = new TimeEmbedding(config.Channels, (int)condWidth, config.GammaMin, config.GammaMax, config.NumClasses);
        conv_in = nn.Conv2d(inChannels, ch, 3, padding: 1);
        down = new ModuleList<ResnetBlock>();
        for (var i = 0; i < config.Blocks; i++) down.Add(new ResnetBlock(ch, ch, condWidth, config.Dropout, config.ScaleShift));
        mid_block1 = new ResnetBlock(ch, ch, condWidth, config.Dropout, config.ScaleShift);
        if (config.Attention) mid_attn = new AttentionBlock(ch);
        mid_block2 = new ResnetBlock(ch, ch, condWidth, config.Dropout, config.ScaleShift);
        up = new ModuleList<ResnetBlock>();
        for (var i = 0; i < config.Blocks + 1; i++) up.Add(new ResnetBlock(2 * ch, ch, condWidth, config.Dropout, config.ScaleShift));
        norm_out = GroupNorms.Create(ch);
        conv_out = nn.Conv2d(ch, dataChannels, 3, padding: 1);
        Init.Zero(conv_out);
        RegisterComponents();
    }

    public ModelConfig Config => config;

    public override Prediction Prediction => config.Prediction;

    public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var cond = time_embed.forward(DenoiserInputs.BatchGamma(gamma, z), labels);
        var input = fourier is null ? z : cat([z, fourier.forward(z)], 1);

        var skips = new Stack<Tensor>();
        var h = conv_in.call(input);
        skips.Push(h);
        foreach (var block in down)
        {
            h = block.forward(h, cond);
            skips.Push(h);
        }

        h = mid_block1.forward(h, cond);
        if (mid_attn is not null) h = mid_attn.call(h);
        h = mid_block2.forward(h, cond);

        foreach (var block in up) h = block.forward(cat([h, skips.Pop()], 1), cond);

        h = conv_out.call(nn.functional.silu(norm_out.forward(h)));
        return DenoiserInputs.Output(z, h, config.Prediction).MoveToOuterDisposeScope();
    }
}
