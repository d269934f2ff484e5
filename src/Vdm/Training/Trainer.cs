using System.Diagnostics;
using TorchSharp.Modules;
using TorchSharp;
using Vdm.Diffusion;
using Vdm.Distributed;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>
/// One optimisation step at a time: the bound's batch mean in bits/dim, backward, gradient clipping, AdamW, EMA.
/// Deterministic for a seed and thread count: time samples and noise come from the trainer's own generator.
/// Steps must run on one thread (TorchSharp's dispose scopes are thread-static).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly AdamW optimizer;
    private readonly Parameter[] parameters;

    /// <param name="group">The processes training this model together (default: this one alone). With more than
    /// one, rank 0's parameters are broadcast here and <see cref="TrainStep"/> takes this rank's <see cref="Shard"/>.</param>
    public Trainer(VariationalDiffusionModel model, TrainConfig config, int numClasses = 0, IProcessGroup? group = null)
    {
        config.Validate();
        Model = model;
        Config = config;
        NumClasses = numClasses;
        Group = group ?? SingleProcessGroup.Instance;
        parameters = model.parameters().ToArray();
        if (Group.Size > 1) BroadcastParameters();
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

    public AdamW Optimizer => optimizer;

    public IProcessGroup Group { get; }

    /// <summary>Wall time spent in the gradient all-reduce so far (0 in one process).</summary>
    public double AllReduceSeconds { get; private set; }

    /// <summary>The rows of every global batch (<see cref="TrainConfig.BatchSize"/>) this rank trains on.</summary>
    public BatchShard Shard => BatchShard.For(Group.Rank, Group.Size, Config.BatchSize);

    /// <summary>Steps taken so far (including skipped ones).</summary>
    public long Step { get; set; }

    /// <summary>How far the wall-clock budget has carried the learning-rate decay (<see cref="LearningRateSchedule.BudgetProgress"/>);
    /// set by <see cref="TrainingRun"/> before each step, 0 without a budget.</summary>
    public double DecayFloor { get; set; }

    /// <summary>Training progress in [0, 1] before the next step: the learning-rate decay's, by steps or by the budget,
    /// whichever is further on. The model's weighting follows it (<see cref="VariationalDiffusionModel.TrainingProgress"/>).</summary>
    public double Progress => LearningRateSchedule.Progress(Config, Step, DecayFloor);

    /// <summary>Consecutive steps skipped for a non-finite loss or gradient.</summary>
    public int NonFiniteInARow { get; private set; }

    /// <summary>All steps skipped for a non-finite loss or gradient.</summary>
    public long NonFiniteTotal { get; set; }

    /// <summary>Test hook: when set, called with the loss before backward (e.g. to inject NaN).</summary>
    public Func<Tensor, Tensor>? LossHook { get; set; }

    /// <summary>One step on a batch of integer data x ([B, ...]) with optional labels ([B], int64); in a group of
    /// several processes, x holds this rank's <see cref="Shard"/> of the global batch.</summary>
    public StepResult TrainStep(Tensor x, Tensor? labels = null)
    {
        if (Group.Size > 1) return TrainShardStep(x, labels);
        using var scope = NewDisposeScope();
        Model.train();
        double lr = StartStep();

        var (terms, loss) = ForwardBackward(x, labels);
        using (terms)
        {
            var summary = terms.Summarise();
            double lossValue = loss.item<float>();
            return Update(summary with { Objective = lossValue }, lr);
        }
    }

    /// <summary>What every step does first, in one process or in a group: the learning rate and the model's training
    /// progress for this step, and cleared gradients. Returns the learning rate.</summary>
    private double StartStep()
    {
        double lr = LearningRateSchedule.At(Config, Step, DecayFloor);
        Model.TrainingProgress = Progress;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        optimizer.zero_grad();
        return lr;
    }

    /// <summary>
    /// The step's first half, which reads no value back to the host: the batch moved to the model's device (data
    /// sets stay on the CPU), label dropout, the bound's terms and the gradient of their batch mean.
    /// </summary>
    internal (LossTerms Terms, Tensor Loss) ForwardBackward(Tensor x, Tensor? labels)
    {
        var device = Model.Device;
        x = x.to(device);
        labels = DropLabels(labels?.to(device));
        var terms = Model.Loss(x, labels, Generator);
        var loss = terms.MeanObjective();
        if (LossHook is not null) loss = LossHook(loss);
        loss.backward();
        return (terms, loss);
    }

    /// <summary>
    /// The step's second half, the same in one process and in a group (where the gradients are already summed):
    /// clipping, then AdamW and EMA when loss and gradient norm are finite. A finite gradient can still give a
    /// non-finite update (a huge learning rate, an overflowing moment): the state before the step is kept, and
    /// restored when any weight, EMA weight or moment is not finite after it. In a group every rank sees the same
    /// inputs and so decides the same.
    /// </summary>
    private StepResult Update(LossSummary summary, double lr)
    {
        double lossValue = summary.Objective;
        double gradNorm = Config.GradClip > 0
            ? nn.utils.clip_grad_norm_(parameters, Config.GradClip)
            : GlobalGradNorm();
        bool finite = double.IsFinite(lossValue) && double.IsFinite(gradNorm);
        if (finite)
        {
            Backup();
            AdamWStep.Apply(optimizer); // not optimizer.step(): its implicit Scalars race with finalizers (AdamWStep)
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
        return new StepResult(Step, summary, gradNorm, lr, !finite);
    }

    /// <summary>
    /// The data-parallel step. The random numbers of the whole global batch are drawn from the generator (the same
    /// on every rank) in the order <see cref="VariationalDiffusionModel.Loss"/> draws them in one process — label
    /// dropout, ε_0, the B (antithetic) times u, ε — and cut to this rank's rows, so the ranks together compute the
    /// single-process batch. Each rank's loss is its rows' sum / B, so the sum over ranks of the gradients is the
    /// gradient of the batch mean; gradients and the terms' sums are summed in one all-reduce, before clipping, so
    /// clipping, skipping, AdamW and EMA see the same numbers on every rank.
    /// </summary>
    private StepResult TrainShardStep(Tensor x, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        var shard = Shard;
        if (x.shape[0] != shard.Count)
            throw new ArgumentException($"rank {Group.Rank} of {Group.Size} trains on {shard.Count} rows of each batch of {shard.Total}, got {x.shape[0]}");
        Model.train();
        double lr = StartStep();

        long batch = shard.Total;
        var device = Model.Device;
        x = x.to(device);
        labels = labels?.to(device);
        Tensor Rows(Tensor whole) => whole.narrow(0, shard.Start, shard.Count);
        if (labels is not null && NumClasses > 0 && Config.LabelDropout > 0)
        {
            var drop = Rows(rand([batch], generator: Generator) < Config.LabelDropout).to(labels.device);
            labels = where(drop, full_like(labels, NumClasses), labels);
        }
        var dtype = Model.DType;
        long[] shape = [batch, .. x.shape.Skip(1)];
        var eps0 = DeviceRandom.Normal(shape, dtype, device, Generator);
        var u = Model.Config.Antithetic
            ? TimeSampling.Antithetic(batch, Generator, device, dtype)
            : TimeSampling.Uniform(batch, Generator, device, dtype);
        var eps = DeviceRandom.Normal(shape, dtype, device, Generator);

        using var terms = Model.Loss(x, labels, Generator, Rows(u), Rows(eps0), Rows(eps));
        var loss = terms.ToBitsPerDim(terms.Objective()).sum() / batch;
        if (LossHook is not null) loss = LossHook(loss);
        loss.backward();

        var grads = parameters.Select(p => p.grad ?? zeros_like(p)).ToArray();
        var sums = stack(new[] { terms.Total(), terms.Recon, terms.Prior, terms.Diffusion, terms.Objective() }
            .Select(t => terms.ToBitsPerDim(t.detach()).sum()).ToArray()).to(grads[0].dtype);
        using var buffer = cat(grads.Select(g => g.detach().flatten()).Append(sums.to(grads[0].device)).ToArray());
        long before = Stopwatch.GetTimestamp();
        Group.AllReduceSum(buffer);
        AllReduceSeconds += Stopwatch.GetElapsedTime(before).TotalSeconds;
        long offset = 0;
        using (no_grad())
        {
            foreach (var (p, g) in parameters.Zip(grads))
            {
                var n = g.numel();
                if (p.grad is null) p.grad = zeros_like(p);
                p.grad.copy_(buffer.narrow(0, offset, n).view_as(g));
                offset += n;
            }
        }
        var means = (buffer.narrow(0, offset, 5).to(ScalarType.Float64) / batch).cpu().data<double>().ToArray();
        double lossValue = means[4];
        var summary = new LossSummary(means[0], means[1], means[2], means[3], lossValue, terms.IsBound);

        return Update(summary, lr);
    }

    /// <summary>
    /// Sum over ranks of each rank's largest |θ − θ_rank 0| over all parameters: 0 exactly when every rank holds
    /// rank 0's parameters bit for bit (always 0 in one process). One broadcast and one all-reduce; all ranks call it.
    /// </summary>
    public double ParameterDisagreement()
    {
        if (Group.Size == 1 || parameters.Length == 0) return 0;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mine = cat(parameters.Select(p => p.detach().flatten().to(ScalarType.Float64)).ToArray()).contiguous();
        var root = mine.clone();
        Group.Broadcast(root);
        var largest = (mine - root).abs().max().reshape(1).contiguous();
        Group.AllReduceSum(largest);
        return largest.item<double>();
    }

    /// <summary>Copies rank 0's parameters to every rank (one broadcast of all of them).</summary>
    private void BroadcastParameters()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (parameters.Length == 0) return;
        var buffer = cat(parameters.Select(p => p.detach().flatten().to(parameters[0].dtype)).ToArray());
        Group.Broadcast(buffer);
        long offset = 0;
        foreach (var p in parameters)
        {
            var n = p.numel();
            p.copy_(buffer.narrow(0, offset, n).view_as(p));
            offset += n;
        }
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
        var drop = (rand(labels.shape, generator: Generator) < Config.LabelDropout).to(labels.device); // drawn on the CPU: the same on every device
        // labels where kept, the null class where dropped (where and masked_fill would do, but libtorch's meta device,
        // which the device tests run on, has no kernel for where and does not check masked_fill's mask device).
        return labels + drop.to(labels.dtype) * (NumClasses - labels);
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
