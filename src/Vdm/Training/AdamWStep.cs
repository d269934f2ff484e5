using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// AdamW's update (decoupled weight decay) on a TorchSharp <see cref="AdamW"/> optimiser's own parameter groups and
/// state, computed as its <c>step()</c> computes it, op for op, but with every scalar held in a <c>using</c> variable
/// until the update is done. TorchSharp's <c>step()</c> passes nine scalars a parameter as implicit double → Scalar
/// temporaries (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 − beta1)</c>, the default alpha of <c>add_(eps)</c>, …);
/// each is unreachable once its handle is read, so a garbage collection can finalize it while libtorch still reads
/// it. With a thread forcing collections beside it, <c>step()</c> threw "Expected false to be true"
/// (Scalar::toDouble) within seconds and then crashed the process (SIGSEGV), the failure that stopped a training run
/// (docs/reliability.md, "The libtorch Scalar race"); <see cref="Ema.Update"/> had the same defect. Keeping
/// TorchSharp's state objects keeps checkpoints as they were: the moments and step counts are saved and restored
/// through the optimiser exactly as before.
/// </summary>
public static class AdamWStep
{
    /// <summary>One update of every parameter that has a gradient: θ ← θ(1 − lr·λ); m ← β₁m + (1 − β₁)g;
    /// v ← β₂v + (1 − β₂)g²; θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).</summary>
    public static void Apply(AdamW optimizer)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var states = optimizer.state_dict().State;
        int index = 0;
        foreach (var group in optimizer.ParamGroups.Cast<AdamW.ParamGroup>())
        {
            var options = group.Options;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("AdamWStep implements AdamW without amsgrad or maximize, as Trainer configures it");
            double lr = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
            double eps = options.eps!.Value, weightDecay = options.weight_decay!.Value;
            using var decay = (1 - lr * weightDecay).ToScalar();
            using var beta1S = beta1.ToScalar();
            using var oneMinusBeta1 = (1 - beta1).ToScalar();
            using var beta2S = beta2.ToScalar();
            using var oneMinusBeta2 = (1 - beta2).ToScalar();
            using var epsS = eps.ToScalar();
            using var one = 1.0.ToScalar(); // add_(Scalar) alone would pass its default alpha as an implicit Scalar
            foreach (var param in group.Parameters)
            {
                var state = (AdamW.State)states[index++];
                var grad = param.grad;
                if (grad is null) continue;
                state.step += 1;
                param.mul_(decay);
                double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                double biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(beta1S).add_(grad, alpha: oneMinusBeta1);
                state.exp_avg_sq.mul_(beta2S).addcmul_(grad, grad, value: oneMinusBeta2);
                using var rootCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
                using var stepSize = (-lr / biasCorrection1).ToScalar();
                var denominator = state.exp_avg_sq.sqrt().div_(rootCorrection2).add_(epsS, alpha: one);
                param.addcdiv_(state.exp_avg, denominator, value: stepSize);
            }
        }
    }
}
