using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Channels-last (NHWC-strided) feature maps. TorchSharp 0.107 has no <c>memory_format</c> argument, but a tensor
/// permuted to [B, H, W, C], made contiguous and permuted back has exactly PyTorch's channels-last strides; libtorch's
/// oneDNN convolutions then keep their activations in that layout (no reorders), and the elementwise ops follow it.
/// </summary>
public static class MemoryFormat
{
    /// <summary>Whether the U-Nets convert their input to channels-last (process-wide; env VDM_CHANNELS_LAST=0|1).</summary>
    public static bool ChannelsLast { get; set; } = Environment.GetEnvironmentVariable("VDM_CHANNELS_LAST") == "1";

    /// <summary>[B, C, H, W] with strides (HWC, 1, WC, C): the same values, channels-last in memory.</summary>
    public static Tensor ToChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>True when <paramref name="x"/> (4-D) has channels-last strides.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        var s = x.stride();
        return x.dim() == 4 && s[1] == 1 && s[3] == x.shape[1] && s[2] == x.shape[1] * x.shape[3];
    }
}
