using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// A down/up-sampling U-Net (the DDPM layout, Ho et al. 2020) with the VDM conditioning and output conventions:
/// level i has <c>Channels × ChannelMultipliers[i]</c> channels and <c>Blocks</c> ResNet blocks; levels are joined
/// by stride-2 convolutions on the way down and by interpolation to the skip's exact size on the way up (so odd
/// sizes such as 7 work). Self-attention runs after every block of the lowest level and in the middle when
/// <c>Attention</c> is set. The output convolution is zero-initialised, as in <see cref="VdmUNet"/>. With
/// <c>PatchSize</c> P &gt; 1 the levels run on P×P patches of pixels (pixel unshuffle in, pixel shuffle out).
/// </summary>
public sealed class MultiResUNet : Denoiser
{
    private readonly ModelConfig config;
    private readonly FourierFeatures? fourier;
    private readonly TimeEmbedding time_embed;
    private readonly Conv2d conv_in;
    private readonly ModuleList<ResnetBlock> down;
    private readonly ModuleList<AttentionBlock> down_attn;
    private readonly ModuleList<Downsample> downsample;
    private readonly ResnetBlock mid_block1;
    private readonly AttentionBlock? mid_attn;
    private readonly ResnetBlock mid_block2;
    private readonly ModuleList<ResnetBlock> up;
    private readonly ModuleList<AttentionBlock> up_attn;
    private readonly ModuleList<Upsample> upsample;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;

    public MultiResUNet(ModelConfig config) : base(nameof(MultiResUNet))
    {
        DenoiserFactory.Validate(config, NetworkKind.MultiResUNet);
        this.config = config;
        var levels = config.ChannelMultipliers.Length;
        var width = config.ChannelMultipliers.Select(m => (long)config.Channels * m).ToArray();
        long dataChannels = config.DataShape[0], condWidth = 4L * config.Channels;
        var inChannels = dataChannels;
        if (config.FourierFeatures)
        {
            fourier = new FourierFeatures();
            inChannels += fourier.ExtraChannels(dataChannels);
        }
        time_embed = new TimeEmbedding(config.Channels, (int)condWidth, config.GammaMin, config.GammaMax, config.NumClasses);
        long patchArea = (long)config.PatchSize * config.PatchSize;
        conv_in = nn.Conv2d(inChannels * patchArea, width[0], 3, padding: 1);

        // Down path; skipChannels mirrors the skips the forward pass pushes.
        var skipChannels = new Stack<long>();
        skipChannels.Push(width[0]);
        down = new ModuleList<ResnetBlock>();
        down_attn = new ModuleList<AttentionBlock>();
        downsample = new ModuleList<Downsample>();
        var ch = width[0];
        for (var level = 0; level < levels; level++)
        {
            for (var b = 0; b < config.Blocks; b++)
            {
                down.Add(new ResnetBlock(ch, width[level], condWidth, config.Dropout, config.ScaleShift));
                ch = width[level];
                if (config.Attention && level == levels - 1) down_attn.Add(new AttentionBlock(ch));
                skipChannels.Push(ch);
            }
            if (level < levels - 1)
            {
                downsample.Add(new Downsample(ch));
                skipChannels.Push(ch);
            }
        }

        mid_block1 = new ResnetBlock(ch, ch, condWidth, config.Dropout, config.ScaleShift);
        if (config.Attention) mid_attn = new AttentionBlock(ch);
        mid_block2 = new ResnetBlock(ch, ch, condWidth, config.Dropout, config.ScaleShift);

        up = new ModuleList<ResnetBlock>();
        up_attn = new ModuleList<AttentionBlock>();
        upsample = new ModuleList<Upsample>();
        for (var level = levels - 1; level >= 0; level--)
        {
            for (var b = 0; b < config.Blocks + 1; b++)
            {
                up.Add(new ResnetBlock(ch + skipChannels.Pop(), width[level], condWidth, config.Dropout, config.ScaleShift));
                ch = width[level];
                if (config.Attention && level == levels - 1) up_attn.Add(new AttentionBlock(ch));
            }
            if (level > 0) upsample.Add(new Upsample(ch));
        }

        norm_out = GroupNorms.Create(ch);
        conv_out = nn.Conv2d(ch, dataChannels * patchArea, 3, padding: 1);
        Init.Zero(conv_out);
        RegisterComponents();
    }

    public ModelConfig Config => config;

    public override Prediction Prediction => config.Prediction;

    public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var levels = config.ChannelMultipliers.Length;
        var cond = time_embed.forward(DenoiserInputs.BatchGamma(gamma, z), labels);
        var input = fourier is null ? z : cat([z, fourier.forward(z)], 1);

        var skips = new Stack<Tensor>();
        var patch = config.PatchSize;
        if (patch > 1) input = nn.functional.pixel_unshuffle(input, patch);
        var h = conv_in.call(input);
        skips.Push(h);
        int block = 0, attn = 0;
        for (var level = 0; level < levels; level++)
        {
            for (var b = 0; b < config.Blocks; b++)
            {
                h = down[block++].forward(h, cond);
                if (config.Attention && level == levels - 1) h = down_attn[attn++].call(h);
                skips.Push(h);
            }
            if (level < levels - 1)
            {
                h = downsample[level].forward(h);
                skips.Push(h);
            }
        }

        h = mid_block1.forward(h, cond);
        if (mid_attn is not null) h = mid_attn.call(h);
        h = mid_block2.forward(h, cond);

        block = 0;
        attn = 0;
        var upLevel = 0;
        for (var level = levels - 1; level >= 0; level--)
        {
            for (var b = 0; b < config.Blocks + 1; b++)
            {
                h = up[block++].forward(cat([h, skips.Pop()], 1), cond);
                if (config.Attention && level == levels - 1) h = up_attn[attn++].call(h);
            }
            if (level > 0) h = upsample[upLevel++].forward(h, skips.Peek());
        }

        h = conv_out.call(nn.functional.silu(norm_out.forward(h)));
        if (patch > 1) h = nn.functional.pixel_shuffle(h, patch);
        return DenoiserInputs.Output(z, h, config.Prediction).MoveToOuterDisposeScope();
    }
}
