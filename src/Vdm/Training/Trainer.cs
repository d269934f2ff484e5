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
            optimizer.step();
            Ema.Update(Model);
            NonFiniteInARow = 0;
        }
        else
        {
            optimizer.zero_grad();
            NonFiniteInARow++;
            NonFiniteTotal++;
        }
        Step++;
        return new StepResult(Step, summary with { Objective = lossValue }, gradNorm, lr, !finite);
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
        Ema.Dispose();
        Generator.Dispose();
    }
}
