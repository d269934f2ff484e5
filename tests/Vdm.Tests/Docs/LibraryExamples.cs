using TorchSharp;
using Vdm.Data;
using Vdm.Diffusion;
using Vdm.Evaluation;
using Vdm.Imaging;
using Vdm.Interop;
using Vdm.Networks;
using Vdm.Persistence;
using Vdm.Sampling;
using Vdm.Schedules;
using Vdm.Tests.Data;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Docs;

/// <summary>
/// The examples of docs/library.md. Each region between <c>// example: NAME</c> and <c>// end example</c> appears in
/// the document verbatim (checked by <see cref="LibraryDocTests"/>), and this test runs them all in order.
/// </summary>
public class LibraryExamples
{
    [Fact]
    public void The_examples_of_docs_library_md_run()
    {
        using var temp = new TempFolder();
        var folder = ImageFolderReaderTests.ClassFolder(temp.File("pets")); // 10 grey 8×8 PNGs in cats/ and dogs/
        var cache = temp.File("cache");
        var outDir = temp.File("out");

        // example: build-model
        var config = new RunConfig
        {
            Model = new ModelConfig { DataShape = [1, 8, 8], Network = NetworkKind.MultiResUNet, Channels = 8, ChannelMultipliers = [1, 2], Blocks = 1 },
            Schedule = new ScheduleConfig { Kind = ScheduleKind.LearnedScalar },
            Diffusion = new DiffusionConfig { Vocab = 256 },
        };
        using var model = ModelFactory.Build(config);
        Console.WriteLine($"{model.parameters().Sum(p => p.numel())} parameters");
        // end example

        // example: training-loop
        var options = new DataOptions { DataDir = cache, ImageFolder = new ImageFolderConfig { ImageSize = 8, Channels = 1 } };
        using var data = DatasetResolver.Load(folder, "train", options); // a folder of PNG/JPEG files, or "mnist", …
        using var optimizer = optim.AdamW(model.parameters(), lr: 2e-3);
        using var generator = new torch.Generator(1);
        foreach (var batch in data.RandomBatches(batchSize: 4, generator).Take(3))
        {
            using var scope = NewDisposeScope();
            using var terms = model.Loss(batch.Images, generator: generator); // recon, prior, diffusion: nats per example
            var loss = terms.MeanObjective();                                   // the training objective in bits/dim
            optimizer.zero_grad();
            loss.backward();
            AdamWStep.Apply(optimizer);                                         // AdamW without optimizer.step()'s Scalar race
            var s = terms.Summarise();
            Console.WriteLine($"recon {s.Recon:F3}  prior {s.Prior:F3}  diffusion {s.Diffusion:F3}  total {s.Total:F3} bits/dim");
            batch.Dispose();
        }
        // end example

        // example: sampler-callback
        var frames = new List<Tensor>();
        model.eval();
        using var samples = DdimSampler.Sample(model, [1, 8, 8], 4, new SamplerOptions { Steps = 10, Seed = 1 },
            observer: (step, t, z) =>
            {
                Console.WriteLine($"step {step}, t = {t:F2}");                              // progress
                if (step % 5 == 0) frames.Add(z.detach().clone().DetachFromDisposeScope()); // frames of an animation
            });
        SampleImages.SaveEach(outDir, samples, firstIndex: 0); // out/sample-000000.png … sample-000003.png
        // end example

        // example: bits-per-dim
        IEnumerable<Tensor> images = Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories)
            .Select(path => ImageTensors.ToTensor(PngReader.Read(path))); // uint8 [C, H, W] each
        using var mine = InMemoryDataset.FromImages(images);
        var result = BoundEvaluator.Evaluate(model, mine, new EvalOptions { BatchSize = 8, Seed = 0 });
        Console.WriteLine($"{result.BitsPerDim:F3} ± {result.StdErr:F3} bits/dim on {result.Examples} images");
        // end example

        // example: load-exported
        var weights = Path.Combine(outDir, "model.safetensors");
        ModelWeights.Write(model, config, weights, WeightsFormat.Safetensors); // what `vdm export` writes, with model.json
        var (exportedConfig, _) = ModelWeights.ReadConfig(Path.Combine(outDir, "model.json"));
        using var exported = ModelWeights.Load(weights, exportedConfig);
        using var gamma = exported.Schedule.forward(tensor(new[] { 0.5f }));
        using var zt = randn(1, 1, 8, 8);
        using var epsHat = exported.EpsHat(zt, gamma);
        // end example

        // example: training-plan
        var plan = TrainingPlan.Make(new TrainingRequest
        {
            Dataset = folder,
            RunDir = Path.Combine(outDir, "run"),
            Settings = [.. new[] { "train.steps=3", "train.batchSize=4", "model.channelMultipliers=[1,2]", "sampleCount=4", "sampleSteps=5" }.Select(s => ConfigSetting.Parse(s))],
        });
        var folderConfig = plan.UseImageFolder(ImageFolderReader.Resolve(folder, new ImageFolderConfig(), options).Config);
        using (var trainSplit = DatasetResolver.Load(folder, "train", options with { ImageFolder = folderConfig }))
        using (var testSplit = DatasetResolver.Load(folder, "test", options with { ImageFolder = folderConfig }))
        using (var run = plan.Start(trainSplit, testSplit))
        {
            run.SaveGrid = SampleImages.SaveGrid; // the core has no image codec: grids come from Vdm.Imaging
            var summary = run.Run();
            Console.WriteLine($"step {summary.Step}: {summary.FinalEval?.BitsPerDim:F3} bits/dim, samples in {summary.LastSamples}");
        }
        // end example

        Assert.True(File.Exists(Path.Combine(outDir, "run", "checkpoints", Vdm.Persistence.Checkpoint.FileName(3))));
        Assert.Equal(2, frames.Count); // the observer sees steps 1..10: frames at 5 and 10
        Assert.Equal(4, Directory.GetFiles(outDir, "sample-*.png").Length);
        Assert.Equal(10, result.Examples);
        Assert.True(double.IsFinite(result.BitsPerDim));
        using var again = model.EpsHat(zt, gamma);
        Assert.True(again.equal(epsHat).all().item<bool>());
        foreach (var frame in frames) frame.Dispose();
    }
}
