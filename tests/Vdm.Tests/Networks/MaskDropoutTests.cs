using Vdm.Networks;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Networks;

[Collection(SerialCollection.Name)]
public class MaskDropoutTests
{
    [Fact]
    public void EvaluationModePassesTheInputThrough()
    {
        using var dropout = new MaskDropout(0.3);
        dropout.eval();
        using var x = randn(4, 5);
        using var y = dropout.forward(x);
        Assert.True(y.eq(x).all().item<bool>());
    }

    [Fact]
    public void TrainingKeepsOneMinusPOfTheElementsScaledByItsInverse()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        const double p = 0.1;
        using var dropout = new MaskDropout(p);
        dropout.train();
        var x = ones(200_000).requires_grad_(true);
        var y = dropout.forward(x);
        var kept = y.ne(0);
        double keptFraction = kept.to(ScalarType.Float64).mean().item<double>();
        // Binomial standard error at n = 200,000 is 0.00067: allow 5 of them.
        Assert.InRange(keptFraction, 1 - p - 0.0034, 1 - p + 0.0034);
        Assert.True(y.masked_select(kept).sub(1 / (1 - p)).abs().max().item<float>() < 1e-6f);
        y.sum().backward();
        Assert.True(x.grad!.eq(y.detach()).all().item<bool>(), "the gradient of x·mask is the mask");
    }

    [Fact]
    public void ProbabilityOutsideZeroToOneIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskDropout(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskDropout(-0.1));
    }
}
