using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Schedules;

/// <summary>
/// A strictly increasing γ(t) on t ∈ [0, 1]: the negative log signal-to-noise ratio of the forward process,
/// so σ²_t = sigmoid(γ_t), α²_t = sigmoid(−γ_t) and SNR(t) = exp(−γ_t) (VDM, eqs. 3–4).
/// </summary>
public abstract class NoiseSchedule : nn.Module<Tensor, Tensor>
{
    protected NoiseSchedule(string name) : base(name)
    {
    }

    /// <summary>γ(t), elementwise.</summary>
    public abstract override Tensor forward(Tensor t);

    /// <summary>dγ/dt, elementwise and differentiable with respect to the schedule's parameters
    /// (the weight of the continuous-time diffusion term, VDM eq. 17).</summary>
    public abstract Tensor Derivative(Tensor t);

    /// <summary>γ at t = 0 and t = 1 as a [2] tensor (the reconstruction and prior terms use them).</summary>
    public virtual Tensor Endpoints(Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var t = tensor(new[] { 0.0, 1.0 }, dtype, device);
        return forward(t).MoveToOuterDisposeScope();
    }

    /// <summary>Builds the schedule a <see cref="ScheduleConfig"/> describes.</summary>
    public static NoiseSchedule Create(ScheduleConfig config) => config.Kind switch
    {
        ScheduleKind.FixedLinear => new FixedLinearSchedule(config.GammaMin, config.GammaMax),
        ScheduleKind.LearnedScalar => new LearnedScalarSchedule(config.GammaMin, config.GammaMax),
        ScheduleKind.MonotoneNet => new MonotoneNetSchedule(config.GammaMin, config.GammaMax, config.Features) { MinimiseVariance = config.MinimiseVariance },
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "unknown schedule kind"),
    };
}
