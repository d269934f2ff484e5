using System.Text.Json.Nodes;
using Vdm.Data;
using Vdm.Persistence;
using Vdm.Tests.Cli;
using Vdm.Tests.Data;
using Vdm.Training;
using Xunit;

namespace Vdm.Tests.Training;

/// <summary>
/// What <c>vdm train</c> decides before the first step lives in <see cref="TrainingPlan"/>: the library alone reaches
/// the config the CLI writes; config fields are set by path (<see cref="ConfigOverrides"/>), every one of them.
/// </summary>
public class TrainingPlanTests
{
    private static ConfigSetting Set(string path, string json) => new(path, JsonNode.Parse(json), $"--set {path}={json}");

    [Fact]
    public async Task TheLibraryPlanReachesTheConfigTheCliWrites()
    {
        using var dir = new TempFolder();
        var viaCli = dir.File("cli");
        var result = await CliHarness.Run("train", "--dataset", "swirl", "--run", viaCli, "--steps", "4", "--lr", "0.01", "--channels", "16",
            "--set", "train.emaDecay=0.99", "--set", "evalEvery=0");
        Assert.True(result.ExitCode == 0, result.Err + result.Out);

        var viaLibrary = dir.File("library");
        var plan = TrainingPlan.Make(new TrainingRequest
        {
            Dataset = "swirl",
            RunDir = viaLibrary,
            Settings = [Set("train.steps", "4"), Set("train.learningRate", "0.01"), Set("model.channels", "16"), Set("train.emaDecay", "0.99"), Set("evalEvery", "0")],
        });
        using var train = DatasetResolver.Load("swirl", SplitNames.Train, new DataOptions());
        using var test = DatasetResolver.Load("swirl", SplitNames.Test, new DataOptions());
        using (var run = plan.Start(train, test)) run.Run();

        var written = File.ReadAllText(Path.Combine(viaLibrary, "config.json"));
        Assert.Equal(File.ReadAllText(Path.Combine(viaCli, "config.json")), written);
        var config = RunConfig.FromJson(written);
        Assert.Equal((4, 0.01, 16, 0.99, 0), (config.Train.Steps, config.Train.LearningRate, config.Model.Channels, config.Train.EmaDecay, config.EvalEvery));
        Assert.Equal(0, config.Train.Minutes);                       // a step count without a time budget drops the preset's
        Assert.Equal(1, config.Train.WarmupSteps);                   // at most a quarter of the steps
        Assert.True(config.Train.MinLearningRate <= config.Train.LearningRate);
        Assert.Equal(4L, Checkpoint.StepOf(RunFolder.NewestValidCheckpoint(viaLibrary, out _)!));
    }

    /// <summary>The bug the plan fixed: <c>vdm train</c> refused a folder holding only the lock of a start that died,
    /// which <see cref="TrainingRun.Create"/> itself accepts.</summary>
    [Fact]
    public async Task AFolderHoldingOnlyAStaleLockIsANewRunsFolder()
    {
        using var dir = new TempFolder();
        var run = dir.File("half-started");
        Directory.CreateDirectory(run);
        var folder = new RunFolder(run);
        File.WriteAllText(folder.LockPath, "999999999");
        File.WriteAllText(folder.GuardPath, "");
        Assert.Equal(run, TrainingPlan.Make(new TrainingRequest { Dataset = "swirl", RunDir = run }).RunDir);

        var result = await CliHarness.Run("train", "--dataset", "swirl", "--run", run, "--steps", "2", "--eval-every", "0");
        Assert.True(result.ExitCode == 0, result.Err + result.Out);
        Assert.True(File.Exists(folder.ConfigPath));

        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        Assert.Throws<ArgumentException>(() => TrainingPlan.Make(new TrainingRequest { Dataset = "swirl", RunDir = run }));
    }

    [Fact]
    public async Task AConfigFileIsMergedOverThePresetAndSetWinsOverIt()
    {
        using var dir = new TempFolder();
        var file = dir.File("partial.json");
        File.WriteAllText(file, """{ "train": { "steps": 3, "batchSize": 32 }, "model": { "channels": 8 }, "evalEvery": 0 }""");
        var run = dir.File("run");
        var result = await CliHarness.Run("train", "--dataset", "swirl", "--config", file, "--set", "model.channels=12", "--run", run);
        Assert.True(result.ExitCode == 0, result.Err + result.Out);
        var config = RunConfig.FromJson(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal((3, 32, 12), (config.Train.Steps, config.Train.BatchSize, config.Model.Channels));
        Assert.Equal(Presets.Get("swirl").Train.LearningRate, config.Train.LearningRate);

        var resume = await CliHarness.Run("train", "--run", run, "--resume", "--set", "train.learningRate=0.5");
        resume.AssertUsageError("train.learningRate", "cannot change when resuming");
        var longer = await CliHarness.Run("train", "--run", run, "--resume", "--set", "train.steps=4");
        Assert.True(longer.ExitCode == 0, longer.Err + longer.Out);
        Assert.Equal(4L, Checkpoint.StepOf(RunFolder.NewestValidCheckpoint(run, out _)!));
    }

    [Theory]
    [InlineData("train.noSuchField=1", "no field 'train.noSuchField'", "learningRate")]
    [InlineData("train.steps=many", "train.steps", "wrong type")]
    [InlineData("train=3", "train", "wrong type")]
    [InlineData("nonsense", "expected PATH=VALUE", "train.learningRate=1e-3")]
    [InlineData("model.channels.x=1", "model.channels", "is a value")]
    public async Task ABadSettingIsOneClearLine(string setting, string fragment1, string fragment2)
    {
        using var dir = new TempFolder();
        var result = await CliHarness.Run("train", "--dataset", "swirl", "--run", dir.File("run"), "--set", setting);
        result.AssertUsageError(fragment1, fragment2);
        Assert.False(Directory.Exists(dir.File("run")));
    }

    /// <summary>Every field of config.json can be set by path, so a new hyperparameter needs only its property (and its
    /// check): each leaf is set to a changed value of its own type and read back from the config record.</summary>
    [Fact]
    public void EveryConfigFieldCanBeSetByPath()
    {
        var config = Presets.Get("mnist");
        var root = (JsonObject)JsonNode.Parse(config.ToJson())!;
        var leaves = new List<(string Path, JsonNode? Value)>();
        void Walk(JsonNode? node, string prefix)
        {
            if (node is JsonObject o) foreach (var (k, v) in o) Walk(v, prefix.Length == 0 ? k : $"{prefix}.{k}");
            else leaves.Add((prefix, node));
        }
        Walk(root, "");
        Assert.True(leaves.Count >= 40, $"only {leaves.Count} fields");
        foreach (var (path, value) in leaves)
        {
            var changed = Changed(value);
            var set = ConfigOverrides.Apply(config, [new ConfigSetting(path.ToUpperInvariant(), changed, path)]);
            Assert.Equal([path], ConfigOverrides.Differences(config, set));
            var back = ((JsonObject)JsonNode.Parse(set.ToJson())!).GetPath(path);
            Assert.True(JsonNode.DeepEquals(changed, back), $"{path}: set {changed?.ToJsonString()}, read {back?.ToJsonString()}");
        }
    }

    /// <summary>The MNIST presets ask for a class-conditional model: on labelled data it gets the data's own count of
    /// classes and the preset's guidance; on unlabelled images it is unconditional and unguided (the run could not
    /// start otherwise: guidance needs classes); <c>--set model.numClasses=0</c> turns the wish off.</summary>
    [Fact]
    public void ThePresetsWishForClassesIsMetOnLabelledDataOnly()
    {
        var preset = Presets.Get("mnist");
        Assert.True(preset.Model.NumClasses > 0);
        Assert.True(preset.SampleGuidance > 0);
        // The label scales and shifts each residual block's normalisation in the labelled presets (docs/main-job.md,
        // "Making the label count sooner"); the tiny preset keeps the bias its CI figures were measured with.
        Assert.True(preset.Model.ScaleShift);
        Assert.True(Presets.Get("fashion-mnist").Model.ScaleShift);
        Assert.False(Presets.Get("tiny").Model.ScaleShift);
        var images = Enumerable.Range(0, 6).Select(i => TorchSharp.torch.full([1, 28, 28], (byte)(40 * i), TorchSharp.torch.ScalarType.Byte)).ToList();
        using var labelled = InMemoryDataset.FromImages(images, [0, 1, 2, 0, 1, 2], numClasses: 3, split: SplitNames.Train);
        using var unlabelled = InMemoryDataset.FromImages(images, split: SplitNames.Train);
        using var dir = new TempFolder();

        var conditional = TrainingPlan.Make(new TrainingRequest { Preset = "mnist", RunDir = dir.File("a") }).FitToData(labelled);
        Assert.Equal(3, conditional.Model.NumClasses);
        Assert.Equal(preset.SampleGuidance, conditional.SampleGuidance);

        var plain = TrainingPlan.Make(new TrainingRequest { Preset = "mnist", RunDir = dir.File("b") }).FitToData(unlabelled);
        Assert.Equal((0, 0.0), (plain.Model.NumClasses, plain.SampleGuidance));

        var off = TrainingPlan.Make(new TrainingRequest { Preset = "mnist", RunDir = dir.File("c"), Settings = [Set("model.numClasses", "0"), Set("sampleGuidance", "0")] }).FitToData(labelled);
        Assert.Equal(0, off.Model.NumClasses);

        var forced = TrainingPlan.Make(new TrainingRequest { Preset = "mnist", RunDir = dir.File("d"), ClassConditional = true });
        Assert.Throws<ArgumentException>(() => forced.FitToData(unlabelled));
        foreach (var image in images) image.Dispose();
    }

    private static JsonNode? Changed(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => JsonValue.Create(!b),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => JsonValue.Create(v.GetValue<double>() + 1),
        JsonValue v when v.GetValue<string>() is "vlb" => JsonValue.Create("simple"),
        JsonValue v when v.GetValue<string>() is "eps" => JsonValue.Create("v"),
        JsonValue v when v.GetValue<string>() is "multiResUNet" => JsonValue.Create("mlp"),
        JsonValue v when v.GetValue<string>() is "learnedScalar" => JsonValue.Create("monotoneNet"),
        JsonValue v when v.GetValue<string>() is "sigmoid" => JsonValue.Create("vlb"),
        JsonValue v when v.GetValue<string>() is "ancestral" => JsonValue.Create("ddim"),
        JsonValue v when v.GetValue<string>() is "ddim" => JsonValue.Create("ancestral"),
        JsonValue v => JsonValue.Create(v.GetValue<string>() + "-other"),
        JsonArray a => new JsonArray([.. a.Select(x => (JsonNode?)JsonValue.Create(x!.GetValue<double>() + 1)), JsonValue.Create(1)]),
        _ => throw new InvalidOperationException($"unexpected {value?.ToJsonString()}"),
    };
}

file static class JsonPath
{
    public static JsonNode? GetPath(this JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.')) node = node?[part];
        return node;
    }
}
