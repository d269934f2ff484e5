using TorchSharp;
using Vdm.Networks;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

/// <summary>Tiny configs and a training loop shared by the network tests.</summary>
internal static class NetworkFixtures
{
    public static ModelConfig Config(
        NetworkKind kind,
        long[] dataShape,
        bool fourier = true,
        int numClasses = 0,
        Prediction prediction = Prediction.Eps,
        int[]? multipliers = null,
        double dropout = 0.0) => new()
        {
            Network = kind,
            DataShape = dataShape,
            Channels = 8,
            ChannelMultipliers = multipliers ?? [1, 2],
            Blocks = 1,
            Attention = true,
            FourierFeatures = fourier,
            Dropout = dropout,
            Prediction = prediction,
            NumClasses = numClasses,
        };

    public static long[] ShapeFor(NetworkKind kind) => kind == NetworkKind.Mlp ? [2] : [1, 8, 8];

    /// <summary>z ~ N(0, I) of shape [batch, ...dataShape].</summary>
    public static Tensor Input(long batch, long[] dataShape) => randn([batch, .. dataShape]);

    /// <summary><paramref name="steps"/> Adam steps (lr 1e-3) on the MSE between the output and <paramref name="target"/>.</summary>
    public static void Train(Denoiser net, Tensor z, Tensor gamma, Tensor? labels, Tensor target, int steps)
    {
        net.train();
        using var optimizer = optim.Adam(net.parameters(), lr: 1e-3);
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(net.forward(z, gamma, labels), target);
            loss.backward();
            optimizer.step();
        }
    }

    /// <summary>Same shape and bit-identical values (torch.equal; TorchSharp's <c>torch.equal</c> is elementwise).</summary>
    public static bool Same(Tensor a, Tensor b) => a.Equals(b);

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a - b).abs().max().item<float>();
    }
}
