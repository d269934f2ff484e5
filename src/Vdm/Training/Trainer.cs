using TorchSharp;
using TorchSharp.Modules;
using Vdm.Diffusion;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// One optimisation step at a time: the bound's batch mean in bits/dim, backward, gradient clipping, AdamW, EMA.
/// Deterministic for a seed and thread count: time samples and noise come from the trainer's own generator.
/// Steps must run on one thread (TorchSharp's dispose scopes are thread-static).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly OptimizerHelper optimizer;
    private readonly Parameter[] parameters;

    public Trainer(VariationalDiffusionModel model, TrainConfig config, int numClasses = 0)
    {
        config.Validate();
        Model = model;
        Config = config;
        NumClasses = numClasses;
        parameters = model.parameters().ToArray();
        optimizer = optim.AdamW(parameters, config.LearningRate, config.Beta1, config.Beta2, weight_decay: config.WeightDecay);
        Ema = new Ema(model, config.EmaDecay);
        Generator = new Generator((ulong)config.Seed + 0x5DEECE66DUL);
    }

    public VariationalDiffusionModel Model { get; }

    public TrainConfig Config { get; }

    public int NumClasses { get; }

    public Ema Ema { get; }

    /// <summary>Source of time samples, noise and label dropout (its state is part of a checkpoint).</summary>
    public Generator Generator { get; }

    public OptimizerHelper Optimizer => optimizer;

    /// <summary>Steps taken so far (including skipped ones).</summary>
    public long Step { get; set; }

    /// <summary>Consecutive steps skipped for a non-finite loss or gradient.</summary>
    public int NonFiniteInARow { get; private set; }

    /// <summary>All steps skipped for a non-finite loss or gradient.</summary>
    public long NonFiniteTotal { get; set; }

    /// <summary>Test hook: when set, called with the loss before backward (e.g. to inject NaN).</summary>
    public Func<Tensor, Tensor>? LossHook { get; set; }

    /// <summary>One step on a batch of integer data x ([B, ...]) with optional labels ([B], int64).</summary>
    public StepResult TrainStep(Tensor x, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        Model.train();
        double lr = LearningRateSchedule.At(Config, Step);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        optimizer.zero_grad();

        labels = DropLabels(labels);
        using var terms = Model.Loss(x, labels, Generator);
        var loss = terms.MeanObjective();
        if (LossHook is not null) loss = LossHook(loss);
        loss.backward();
        double gradNorm = Config.GradClip > 0
            ? nn.utils.clip_grad_norm_(parameters, Config.GradClip)
            : GlobalGradNorm();
        var summary = terms.Summarise();
        double lossValue = loss.item<float>();

        bool finite = double.IsFinite(lossValue) && double.IsFinite(gradNorm);
        if (finite)
        {
            // A finite gradient can still give a non-finite update (a huge learning rate, an overflowing moment): the
            // state before the step is kept, and restored when any weight, EMA weight or moment is not finite after it.
            Backup();
            optimizer.step();
            Ema.Update(Model);
            AfterUpdateHook?.Invoke(this);
            finite = StateIsFinite();
            if (finite) NonFiniteInARow = 0;
        }
        if (!finite)
        {
            if (double.IsFinite(lossValue) && double.IsFinite(gradNorm)) Rollback();
            optimizer.zero_grad();
            NonFiniteInARow++;
            NonFiniteTotal++;
        }
        Step++;
        return new StepResult(Step, summary with { Objective = lossValue }, gradNorm, lr, !finite);
    }

    /// <summary>Test hook: called after the optimiser and EMA update of a finite step (e.g. to poison a weight).</summary>
    internal Action<Trainer>? AfterUpdateHook { get; set; }

    private Tensor[]? guarded;
    private Tensor[]? saved;
    private long[] savedSteps = [];
    private long savedEmaUpdates;

    // Weights, AdamW moments and EMA shadows: everything a step changes. Copies live outside every dispose scope.
    private Tensor[] Guarded()
    {
        if (guarded is not null) return guarded;
        var states = optimizer.state_dict().State.OfType<AdamW.State>().ToArray();
        guarded = [.. parameters, .. states.SelectMany(st => new[] { st.exp_avg, st.exp_avg_sq }), .. Ema.Shadows.Select(s => s.Shadow)];
        return guarded;
    }

    private AdamW.State[] OptimizerStates() => optimizer.state_dict().State.OfType<AdamW.State>().ToArray();

    private void Backup()
    {
        using var noGrad = no_grad();
        var tensors = Guarded();
        if (saved is null)
        {
            saved = new Tensor[tensors.Length];
            for (int i = 0; i < tensors.Length; i++)
            {
                saved[i] = tensors[i].detach().clone();
                saved[i].DetachFromDisposeScope();
            }
        }
        else
        {
            for (int i = 0; i < tensors.Length; i++) saved[i].copy_(tensors[i]);
        }
        savedSteps = OptimizerStates().Select(st => st.step).ToArray();
        savedEmaUpdates = Ema.Updates;
    }

    private bool StateIsFinite()
    {
        using var scope = NewDisposeScope();
        // One read-back for all tensors instead of one per tensor (several hundred per step for a U-Net).
        return stack(Guarded().Select(t => t.isfinite().all()).ToArray()).all().item<bool>();
    }

    private void Rollback()
    {
        using var noGrad = no_grad();
        var tensors = Guarded();
        for (int i = 0; i < tensors.Length; i++) tensors[i].copy_(saved![i]);
        var states = OptimizerStates();
        for (int i = 0; i < states.Length; i++) states[i].step = savedSteps[i];
        Ema.Updates = savedEmaUpdates;
    }

    /// <summary>True when the run must stop: too many non-finite steps in a row.</summary>
    public bool Diverged => NonFiniteInARow >= Config.MaxNonFiniteSteps;

    private Tensor? DropLabels(Tensor? labels)
    {
        if (labels is null || NumClasses == 0 || Config.LabelDropout == 0) return labels;
        var drop = rand(labels.shape, generator: Generator) < Config.LabelDropout;
        return where(drop, full_like(labels, NumClasses), labels);
    }

    private double GlobalGradNorm()
    {
        using var scope = NewDisposeScope();
        var norms = parameters.Where(p => p.grad is not null).Select(p => p.grad!.norm()).ToArray();
        return norms.Length == 0 ? 0 : stack(norms).norm().item<float>();
    }

    public void Dispose()
    {
        optimizer.Dispose();
        if (saved is not null) foreach (var t in saved) t.Dispose();
        Ema.Dispose();
        Generator.Dispose();
    }
}
