using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Sampling;
using Vdm.Schedules;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Docs;

/// <summary>The README's C# example, line for line, runs; and the README still shows exactly these lines.</summary>
public class ReadmeExampleTests
{
    private static readonly string[] ExampleLines =
    [
        "var schedule = new LearnedScalarSchedule(gammaMin: -13.3, gammaMax: 5.0);",
        "var network = DenoiserFactory.Create(new ModelConfig { DataShape = [1, 28, 28], Network = NetworkKind.MultiResUNet });",
        "using var model = new VariationalDiffusionModel(schedule, network, new DiffusionConfig { Vocab = 256 });",
        "using var x = randint(0, 256, [16, 1, 28, 28], ScalarType.Int64);",
        "using var terms = model.Loss(x);",
        "Console.WriteLine(terms.Summarise()); // Total, Recon, Prior, Diffusion in bits/dim",
        "using var trainer = new Trainer(model, new TrainConfig { BatchSize = 16 });",
        "StepResult step = trainer.TrainStep(x);",
        "using var samples = DdimSampler.Sample(model, [1, 28, 28], 8, new SamplerOptions { Steps = 50, Seed = 1 });",
    ];

    [Fact]
    public void TheReadmeShowsTheExample()
    {
        var readme = File.ReadAllText(FindReadme());
        foreach (var line in ExampleLines) Assert.Contains(line, readme);
    }

    [Fact]
    public void TheExampleRuns()
    {
        using var scope = NewDisposeScope();
        var schedule = new LearnedScalarSchedule(gammaMin: -13.3, gammaMax: 5.0);
        var network = DenoiserFactory.Create(new ModelConfig { DataShape = [1, 28, 28], Network = NetworkKind.MultiResUNet });
        using var model = new VariationalDiffusionModel(schedule, network, new DiffusionConfig { Vocab = 256 });
        using var x = randint(0, 256, [16, 1, 28, 28], ScalarType.Int64);
        using var terms = model.Loss(x);
        Console.WriteLine(terms.Summarise()); // Total, Recon, Prior, Diffusion in bits/dim
        using var trainer = new Trainer(model, new TrainConfig { BatchSize = 16 });
        StepResult step = trainer.TrainStep(x);
        using var samples = DdimSampler.Sample(model, [1, 28, 28], 8, new SamplerOptions { Steps = 50, Seed = 1 });

        Assert.True(double.IsFinite(step.Loss.Total) && step.Loss.IsBound);
        Assert.Equal(new long[] { 8, 1, 28, 28 }, samples.shape);
        Assert.Equal(ScalarType.Byte, samples.dtype);
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(path) && File.Exists(Path.Combine(dir.FullName, "Vdm.slnx"))) return path;
        }
        throw new FileNotFoundException("README.md not found above " + AppContext.BaseDirectory);
    }
}
