using TorchSharp.Modules;
using TorchSharp;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Distributed;
using Vdm.Evaluation;
using Vdm.Networks;
using Vdm.Sampling;
using Vdm.Schedules;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Runtime;

/// <summary>
/// Every tensor the library creates goes to the model's device (docs/distributed.md, "Devices"). The CPU runtime has
/// no GPU, but it has libtorch's meta device: tensors with a shape and no data. An op mixing a meta tensor with a
/// CPU tensor of one or more dimensions throws "Expected all tensors to be on the same device", as it would on CUDA,
/// so a model on meta finds every tensor created on the CPU by mistake. Meta has no kernels for convolutions, group
/// norm, embeddings or abs in libtorch's C++ build, so the model here is a fixed linear schedule and a linear
/// denoiser built from the library's Fourier features and time embedding; values cannot be read back from meta, so
/// paths that read them are run up to their first read-back, which must be the only failure.
/// </summary>
public class DevicePlacementTests
{
    private static readonly Device Meta = new(DeviceType.META);
    private static readonly long[] Shape = [1, 4, 4];
    private const int Classes = 3;

    /// <summary>ε̂ = W [z, Fourier(z)] + time embedding(γ) + a label term: only ops libtorch's meta device implements.</summary>
    private sealed class LinearDenoiser : Denoiser
    {
        private readonly FourierFeatures fourier = new();
        private readonly TimeEmbedding time;
        private readonly Linear readout;
        private readonly Parameter labelScale;

        public LinearDenoiser() : base(nameof(LinearDenoiser))
        {
            long d = Shape.Aggregate(1L, (a, b) => a * b);
            time = new TimeEmbedding(8, (int)d, -13.3, 5.0);
            readout = nn.Linear(d + fourier.ExtraChannels(Shape[0]) * d / Shape[0], d);
            labelScale = nn.Parameter(full(1, 0.01f));
            RegisterComponents();
        }

        public override Tensor forward(Tensor z, Tensor gamma, Tensor? labels)
        {
            using var scope = NewDisposeScope();
            var inputs = cat([z, fourier.forward(z)], 1).flatten(1);
            var output = readout.forward(inputs) + time.forward(gamma, null);
            if (labels is not null) output = output + labels.to(z.dtype).unsqueeze(1) * labelScale;
            return output.reshape(z.shape).MoveToOuterDisposeScope();
        }
    }

    private static VariationalDiffusionModel MetaModel(DiffusionConfig? config = null)
    {
        var model = new VariationalDiffusionModel(new FixedLinearSchedule(), new LinearDenoiser(), config ?? new DiffusionConfig { Vocab = 256 });
        model.to(Meta);
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
        return model;
    }

    private static Tensor MetaBatch(int batch) => empty([batch, .. Shape], ScalarType.Byte, Meta);

    private static Tensor MetaLabels(int batch) => empty([batch], ScalarType.Int64, Meta);

    private static void AssertOnMeta(Tensor t, string what) => Assert.True(t.device_type == DeviceType.META, $"{what} is on {t.device}, not on the model's device");

    /// <summary>The run ended at a read-back from meta, not at a tensor on another device.</summary>
    private static void AssertStopsOnlyAtReadBack(Action run)
    {
        var e = Assert.ThrowsAny<Exception>(run);
        Assert.DoesNotContain("same device", e.Message);
        Assert.Contains("Cannot copy out of meta tensor", e.Message);
    }

    public static TheoryData<int, Weighting, bool> LossCases => new()
    {
        { 0, Weighting.Vlb, true },
        { 0, Weighting.Sigmoid, false },
        { 10, Weighting.Simple, true },
    };

    [Theory]
    [MemberData(nameof(LossCases))]
    public void TheBoundCreatesEveryTensorOnTheModelsDevice(int timeSteps, Weighting weighting, bool antithetic)
    {
        using var scope = NewDisposeScope();
        using var model = MetaModel(new DiffusionConfig { Vocab = 256, TimeSteps = timeSteps, Weighting = weighting, Antithetic = antithetic });
        using var generator = new Generator(3);
        foreach (var g in new[] { generator, null })
        {
            using var terms = model.Loss(MetaBatch(4), MetaLabels(4), g);
            foreach (var (t, name) in new[] { (terms.Recon, "recon"), (terms.Prior, "prior"), (terms.Diffusion, "diffusion"), (terms.MeanObjective(), "objective") })
                AssertOnMeta(t, name);
            terms.MeanObjective().backward();
        }
        Assert.All(model.parameters(), p => AssertOnMeta(p.grad!, "a gradient"));
    }

    [Theory]
    [InlineData(SamplerKind.Ancestral, false)]
    [InlineData(SamplerKind.Ancestral, true)]
    [InlineData(SamplerKind.Ddim, true)]
    public void SamplersCreateEveryTensorOnTheModelsDevice(SamplerKind kind, bool guided)
    {
        using var scope = NewDisposeScope();
        using var model = MetaModel();
        model.eval();
        var options = new SamplerOptions { Steps = 3, Seed = 5, SampleDecoder = guided, GuidanceScale = guided ? 1.5 : 0, NumClasses = Classes };
        // Labels as a caller makes them, on the CPU: the sampler moves them to the model.
        var labels = guided ? arange(4, ScalarType.Int64) % Classes : null;
        var steps = 0;
        SamplerObserver observer = (_, _, z) =>
        {
            AssertOnMeta(z, "z_s");
            steps++;
        };
        var samples = kind == SamplerKind.Ancestral
            ? AncestralSampler.Sample(model, Shape, 4, options, labels, observer)
            : DdimSampler.Sample(model, Shape, 4, options, labels, observer);
        AssertOnMeta(samples, "the samples");
        Assert.Equal(3, steps);
        // Sampler.Draw brings the samples back to the CPU to write them: the only copy out of the device.
        AssertStopsOnlyAtReadBack(() => Sampler.Draw(model, Shape, 4, kind, options, labels));
    }

    [Fact]
    public void ATrainingStepMovesTheBatchAndCreatesEveryTensorOnTheModelsDevice()
    {
        using var scope = NewDisposeScope();
        using var model = MetaModel();
        // Label dropout 1: every label is replaced by the null class through a mask drawn from the trainer's generator.
        using var trainer = new Trainer(model, new TrainConfig { BatchSize = 4, LabelDropout = 1.0 }, Classes);
        // A batch as a data set gives it, on the CPU: the step moves it to the model.
        var x = randint(0, 256, [4, .. Shape], ScalarType.Byte);
        var labels = arange(4, ScalarType.Int64) % Classes;
        var (terms, loss) = trainer.ForwardBackward(x, labels);
        using (terms) AssertOnMeta(loss, "the loss");
        Assert.All(model.parameters(), p => AssertOnMeta(p.grad!, "a gradient"));
        AdamWStep.Apply(trainer.Optimizer);
        trainer.Ema.Update(model);
        Assert.All(trainer.Ema.Shadows, s => AssertOnMeta(s.Shadow, $"the EMA of {s.Name}"));
        Assert.All(model.parameters(), p => AssertOnMeta(p, "a parameter"));
        // The whole step reads the loss and gradient norm back: that read must be where it stops.
        AssertStopsOnlyAtReadBack(() => trainer.TrainStep(x, labels));
    }

    [Fact]
    public void EvaluationMovesTheBatchesToTheModelsDevice()
    {
        using var scope = NewDisposeScope();
        using var model = MetaModel();
        using var data = new Dataset(randint(0, 256, [6, .. Shape], ScalarType.Byte), arange(6, ScalarType.Int64) % Classes, Classes, 256, "random", "test", "test");
        var options = new EvalOptions { Examples = 6, BatchSize = 3, Seed = 1 };
        AssertStopsOnlyAtReadBack(() => BoundEvaluator.Evaluate(model, data, options));
        AssertStopsOnlyAtReadBack(() => ExampleBounds.Evaluate(model, data, options, BatchShard.For(0, 1, 6)));
        AssertStopsOnlyAtReadBack(() => BoundEvaluator.PerTime(model, data, 2, 6, 1));
    }

    [Fact]
    public void ModelFactoryPlacesTheConfiguredModelOnTheDevice()
    {
        var config = Presets.Get("tiny");
        using var model = ModelFactory.Build(config, Meta);
        Assert.Equal(DeviceType.META, model.Device.type);
        Assert.All(model.parameters(), p => AssertOnMeta(p, "a parameter"));
        using var onCpu = ModelFactory.Build(config);
        Assert.Equal(DeviceType.CPU, onCpu.Device.type);
    }
}
