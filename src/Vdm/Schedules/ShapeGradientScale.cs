using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>
/// Per-example factors that multiply the gradient reaching a schedule's shape parameters, filled in after the loss
/// is known (VDM Appendix I.2): with L_i the example's diffusion loss, scaling the incoming gradient ∂ℓ/∂g_i by 2 L_i
/// turns the gradient of ℓ = mean_i L_i into that of mean_i L_i², from the same backward pass. The factors must be set
/// (<see cref="Set"/>) before the backward pass and stay alive until it is over; whoever owns the loss disposes them
/// (<see cref="Vdm.Diffusion.LossTerms"/>). Without them the shape's gradient is zero.
/// </summary>
public sealed class ShapeGradientScale : IDisposable
{
    private Tensor? factors;

    /// <summary>The factors, one per example, or null before <see cref="Set"/>.</summary>
    public Tensor? Factors => factors;

    /// <summary>Stores a detached copy of <paramref name="perExample"/> ([B]) outside every dispose scope.</summary>
    public void Set(Tensor perExample)
    {
        factors?.Dispose();
        factors = perExample.detach().clone();
        factors.DetachFromDisposeScope();
    }

    /// <summary>x in the forward pass; in the backward pass, the incoming gradient times the factors.</summary>
    public Tensor Apply(Tensor x) => ScaleGradient.apply(x, this);

    public void Dispose()
    {
        factors?.Dispose();
        factors = null;
    }

    private sealed class ScaleGradient : autograd.SingleTensorFunction<ScaleGradient>
    {
        public override string Name => nameof(ScaleGradient);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            ctx.save_data("scale", vars[1]);
            return ((Tensor)vars[0]).clone();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var scale = (ShapeGradientScale)ctx.get_data("scale");
            var f = scale.factors;
            // An exception thrown here would end the process (this runs inside libtorch's backward): without factors
            // (never set, or disposed with their loss before backward) the shape gets no gradient, not a wrong one.
            if (f is null || f.IsInvalid) return [zeros_like(grad_output), null!];
            return [grad_output * f.to(grad_output.dtype).reshape(grad_output.shape), null!];
        }
    }
}
