using TorchSharp;
using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Diffusion;

/// <summary>
/// A Variational Diffusion Model: a noise schedule γ(t), a denoising network ε̂(z_t; γ_t) and the bound that
/// trains both (VDM eq. 11 / 17): L(x) = −log p(x|z_0) + KL(q(z_1|x) ‖ N(0, I)) + L_diffusion.
/// </summary>
public sealed class VariationalDiffusionModel : nn.Module
{
    private readonly ScalarType emptyModelType;

    /// <param name="emptyModelType">The compute type when neither schedule nor network has parameters (e.g. an
    /// analytic denoiser); otherwise the parameters' type is used.</param>
    public VariationalDiffusionModel(NoiseSchedule schedule, Denoiser denoiser, DiffusionConfig? config = null, ScalarType emptyModelType = ScalarType.Float32)
        : base(nameof(VariationalDiffusionModel))
    {
        this.emptyModelType = emptyModelType;
        Schedule = schedule;
        Network = denoiser;
        Config = config ?? new DiffusionConfig();
        if (Config.Vocab < 2) throw new ArgumentOutOfRangeException(nameof(config), Config.Vocab, "vocab must be at least 2");
        if (Config.TimeSteps < 0) throw new ArgumentOutOfRangeException(nameof(config), Config.TimeSteps, "time steps must be ≥ 0 (0 = continuous)");
        RegisterComponents();
    }

    /// <summary>Why training with a schedule that minimises variance was refused with these settings (evaluation,
    /// without gradients, is allowed with any).</summary>
    public const string VarianceNeedsContinuousBound =
        "minimising the variance of the diffusion loss needs continuous time and the bound as objective (--time-steps 0 --weighting vlb): otherwise the schedule's shape changes what is minimised";

    public NoiseSchedule Schedule { get; }

    public Denoiser Network { get; }

    public DiffusionConfig Config { get; }

    /// <summary>The floating-point type computations run in.</summary>
    public ScalarType DType => parameters().Select(p => p.dtype).DefaultIfEmpty(emptyModelType).First();

    /// <summary>The device the parameters live on (the CPU when there are none); every tensor the model creates goes there.</summary>
    public Device Device => parameters().Select(p => p.device).FirstOrDefault() ?? CPU;

    /// <summary>ε̂(z_t; γ_t), converting an x- or v-prediction network's output.</summary>
    public Tensor EpsHat(Tensor z, Tensor gamma, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var raw = Network.forward(z, gamma, labels);
        return Parameterization.ToEpsHat(Network.Prediction, raw, z, gamma).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Classifier-free guidance (Ho and Salimans, 2022): ε̂ = (1 + w) ε̂(z; c) − w ε̂(z; ∅), one batched call.
    /// With w = 0 or no labels this is <see cref="EpsHat"/>.
    /// </summary>
    public Tensor GuidedEpsHat(Tensor z, Tensor gamma, Tensor? labels, double guidanceScale, long nullClass)
    {
        if (labels is null || guidanceScale == 0) return EpsHat(z, gamma, labels);
        using var scope = NewDisposeScope();
        var both = EpsHat(cat([z, z]), cat([gamma, gamma]), cat([labels, full_like(labels, nullClass)]));
        var parts = both.chunk(2);
        return ((1 + guidanceScale) * parts[0] - guidanceScale * parts[1]).MoveToOuterDisposeScope();
    }

    /// <summary>Training progress in [0, 1], set by the <see cref="Training.Trainer"/> before each step: where a weighting
    /// that changes over training stands (<see cref="DiffusionConfig.WeightingBiasAt"/>). The bound does not depend on it.</summary>
    public double TrainingProgress { get; set; }

    /// <summary>
    /// The bound's three terms per example for integer data x ([B, ...], values in 0..V−1).
    /// <paramref name="u"/> ([B], in [0, 1)) fixes the diffusion times; by default they are drawn (antithetic or
    /// uniform). In discrete time, u picks the grid step t = (⌊uT⌋ + 1)/T. <paramref name="eps0"/> and
    /// <paramref name="eps"/> (shaped like x) fix the noise of z_0 and z_t the same way (data-parallel training cuts
    /// them from a whole batch's draw).
    /// </summary>
    public LossTerms Loss(Tensor x, Tensor? labels = null, Generator? generator = null, Tensor? u = null, Tensor? eps0 = null, Tensor? eps = null)
    {
        using var scope = NewDisposeScope();
        var dtype = DType;
        var f = ForwardProcess.Encode(x, Config.Vocab, dtype);
        var batch = x.shape[0];
        var endpoints = Schedule.Endpoints(f.device, dtype);
        var gamma0 = endpoints[0].expand(batch);
        var gamma1 = endpoints[1].expand(batch);

        // Reconstruction: −log p(x | z_0), z_0 ~ q(z_0 | x).
        eps0 ??= DeviceRandom.Normal(f.shape, dtype, f.device, generator);
        var z0 = ForwardProcess.Diffuse(f, gamma0, eps0);
        var recon = -Reductions.SumPerExample(CategoricalDecoder.LogProb(x, z0, gamma0, Config.Vocab));

        // Prior: KL(q(z_1 | x) ‖ N(0, I)).
        var prior = PriorKl.Compute(f, gamma1);

        // Diffusion: one random time per example.
        u ??= Config.Antithetic
            ? TimeSampling.Antithetic(batch, generator, f.device, dtype)
            : TimeSampling.Uniform(batch, generator, f.device, dtype);
        var dimensions = Reductions.DimensionsPerExample(x);
        var (diffusion, objective, shapeScale) = DiffusionTerm(f, labels, generator, u.to(dtype), eps, dimensions);

        var terms = new LossTerms(
            recon.MoveToOuterDisposeScope(),
            prior.MoveToOuterDisposeScope(),
            diffusion.MoveToOuterDisposeScope(),
            dimensions,
            objective?.MoveToOuterDisposeScope(),
            shapeScale);
        return terms;
    }

    /// <summary>The bound's diffusion term per example, the weighted one training minimises (null when it is the bound),
    /// and, when the schedule minimises variance and gradients are on, the factors of its shape's gradient.</summary>
    private (Tensor Bound, Tensor? Objective, ShapeGradientScale? ShapeScale) DiffusionTerm(Tensor f, Tensor? labels, Generator? generator, Tensor u, Tensor? eps, long dimensions)
    {
        Tensor t, weight;
        Tensor? gammaT = null;
        ShapeGradientScale? shapeScale = null;
        if (Schedule is MonotoneNetSchedule { MinimiseVariance: true } net && is_grad_enabled())
        {
            if (Config.TimeSteps != 0 || Config.Weighting != Weighting.Vlb) throw new InvalidOperationException(VarianceNeedsContinuousBound);
            // VDM Appendix I.2: the shape η descends d E[L²]/dη = E[2 L dL/dη]; its gradient through γ(t) and γ'(t) is
            // scaled by 2 L_i below, once L_i is known (the endpoints' and the network's gradients are not scaled).
            t = u;
            shapeScale = new ShapeGradientScale();
            (gammaT, var derivative) = net.GammaAndDerivative(t, shapeScale);
            weight = 0.5 * derivative;                                  // ½ γ'(t), eq. 17
        }
        else if (Config.TimeSteps == 0)
        {
            t = u;
            weight = 0.5 * Schedule.Derivative(t);                      // ½ γ'(t), eq. 17
        }
        else
        {
            (t, var s) = TimeSampling.Discretise(u, Config.TimeSteps);
            var gammaS = Schedule.forward(s);
            weight = 0.5 * Config.TimeSteps * (Schedule.forward(t) - gammaS).expm1(); // ½ T (SNR(s)/SNR(t) − 1), eq. 13
        }

        gammaT ??= Schedule.forward(t);
        eps ??= DeviceRandom.Normal(f.shape, f.dtype, f.device, generator);
        var zt = ForwardProcess.Diffuse(f, gammaT, eps);
        var epsHat = EpsHat(zt, gammaT, labels);
        var squaredError = Reductions.SumPerExample((eps - epsHat).square());
        var bound = weight * squaredError;
        // 2 L_i with L_i in bits/dim, the unit training's loss is in: the gradient of the batch mean of bits/dim then
        // reaches the shape as d/dη mean_i L_i² (the constructor allows this only when the objective is the bound).
        shapeScale?.Set(2 * bound / (dimensions * Math.Log(2.0)));
        return Config.Weighting switch
        {
            Weighting.Vlb => (bound, null, shapeScale),
            Weighting.Simple => (bound, 0.5 * squaredError, shapeScale),
            // w(λ_t) = sigmoid(b − λ_t), λ = −γ; a weight on the noise level, not a function to differentiate.
            Weighting.Sigmoid => (bound, (gammaT + Config.WeightingBiasAt(TrainingProgress)).sigmoid().detach() * bound, shapeScale),
            _ => throw new InvalidOperationException($"unknown weighting {Config.Weighting}"),
        };
    }
}
