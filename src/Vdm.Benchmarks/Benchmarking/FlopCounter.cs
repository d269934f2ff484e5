using TorchSharp.Modules;
using TorchSharp;
using Vdm.Networks;
using static TorchSharp.torch;

namespace Vdm.Benchmarking;

/// <summary>
/// Analytic floating-point operation counts of a denoiser, per layer, from its module tree and the shapes that
/// flow through it.
/// <para>Convention: 2 FLOPs per multiply-add. Counted: 2-D convolutions (2·B·C_out·H_out·W_out·C_in/groups·k_h·k_w),
/// linear layers (2·rows·in·out) and the two matrix products of self-attention (q kᵀ and the weighted sum of v:
/// 2 · 2·B·N²·C for N = H·W positions and C channels over all heads). Not counted: biases, normalisations,
/// activations, softmax, elementwise arithmetic, the loss and the optimiser — they are memory-bound and small in
/// FLOPs. A training step is forward + backward with backward ≈ 2× forward (gradients with respect to both inputs
/// and weights), so 3× the forward count; a sampler step is one forward pass.</para>
/// </summary>
public static class FlopCounter
{
    /// <summary>Backward pass FLOPs as a multiple of the forward pass.</summary>
    public const double BackwardFactor = 2.0;

    public const string Convention =
        "2 FLOPs per multiply-add; counted: conv2d, linear, attention q·kᵀ and attn·v; not counted: bias, norms, " +
        "activations, softmax, elementwise, loss, optimiser; training step = forward × (1 + 2) (backward ≈ 2× forward)";

    /// <summary>2·B·C_out·H_out·W_out·(C_in/groups)·k_h·k_w.</summary>
    public static long Conv2d(long batch, long inChannelsPerGroup, long outChannels, long kernelH, long kernelW, long outH, long outW) =>
        2L * batch * outChannels * outH * outW * inChannelsPerGroup * kernelH * kernelW;

    /// <summary>2·rows·in·out.</summary>
    public static long Linear(long rows, long inFeatures, long outFeatures) => 2L * rows * inFeatures * outFeatures;

    /// <summary>q kᵀ ([N, d] × [d, N] per head) and attn·v ([N, N] × [N, d]): 2 · 2·B·N²·d·heads = 4·B·N²·C.</summary>
    public static long Attention(long batch, long positions, long channels) => 4L * batch * positions * positions * channels;

    /// <summary>Counts one forward pass of <paramref name="network"/> on a batch of <paramref name="batch"/> inputs of
    /// shape <paramref name="dataShape"/> ([C, H, W] or [D]). Runs one forward pass on a single example, without
    /// autograd, to learn the shape each layer sees; the network's training/eval mode is restored afterwards.</summary>
    public static FlopCount Count(Denoiser network, long[] dataShape, long batch)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be positive");
        var layers = new List<LayerFlops>();
        var removers = new List<Action>();
        foreach (var (name, module) in network.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    removers.Add(conv.register_forward_hook((m, input, output) =>
                    {
                        var w = conv.weight!.shape; // [C_out, C_in/groups, k_h, k_w]
                        long flops = Conv2d(batch, w[1], w[0], w[2], w[3], output.shape[2], output.shape[3]);
                        layers.Add(new LayerFlops(name, LayerKind.Conv2d, WithBatch(input.shape, batch), WithBatch(output.shape, batch), flops));
                        return output;
                    }).remove);
                    break;
                case Linear linear:
                    removers.Add(linear.register_forward_hook((m, input, output) =>
                    {
                        var w = linear.weight!.shape; // [out, in]
                        long rows = batch * (input.numel() / input.shape[0]) / w[1];
                        layers.Add(new LayerFlops(name, LayerKind.Linear, WithBatch(input.shape, batch), WithBatch(output.shape, batch), Linear(rows, w[1], w[0])));
                        return output;
                    }).remove);
                    break;
                case AttentionBlock attention:
                    removers.Add(attention.register_forward_hook((m, input, output) =>
                    {
                        long positions = input.shape[2] * input.shape[3];
                        layers.Add(new LayerFlops(name + ".attention", LayerKind.Attention, WithBatch(input.shape, batch), WithBatch(output.shape, batch),
                            Attention(batch, positions, input.shape[1])));
                        return output;
                    }).remove);
                    break;
            }
        }

        var wasTraining = network.training;
        try
        {
            network.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var dtype = network.parameters().Select(p => p.dtype).DefaultIfEmpty(ScalarType.Float32).First();
            var device = network.parameters().Select(p => p.device).FirstOrDefault() ?? CPU;
            var z = zeros([1, .. dataShape], dtype, device);
            network.forward(z, zeros(1, dtype, device), null);
        }
        finally
        {
            foreach (var remove in removers) remove();
            network.train(wasTraining);
        }
        return new FlopCount(layers, batch);
    }

    private static long[] WithBatch(long[] shape, long batch)
    {
        var copy = (long[])shape.Clone();
        copy[0] = batch;
        return copy;
    }
}

public enum LayerKind
{
    Conv2d,
    Linear,
    Attention,
}

/// <summary>One layer invocation of a forward pass and its FLOPs for the whole batch.</summary>
public sealed record LayerFlops(string Name, LayerKind Kind, long[] InputShape, long[] OutputShape, long Flops);

/// <summary>The FLOPs of one forward pass over a batch, layer by layer.</summary>
public sealed record FlopCount(IReadOnlyList<LayerFlops> Layers, long Batch)
{
    public long Forward => Layers.Sum(l => l.Flops);

    /// <summary>Forward + backward ≈ (1 + <see cref="FlopCounter.BackwardFactor"/>) × forward.</summary>
    public long TrainingStep => (long)Math.Round(Forward * (1 + FlopCounter.BackwardFactor));

    public long OfKind(LayerKind kind) => Layers.Where(l => l.Kind == kind).Sum(l => l.Flops);
}
