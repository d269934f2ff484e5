using System.Text.Json;
using Vdm.Persistence;
using Vdm.Sampling;
using Vdm.Tests.Data;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Persistence;

/// <summary>
/// Checkpoints written by an older build stay readable. The fixture in Fixtures/checkpoint-v2 was written by the
/// format-version-2 writer, together with 32 DDIM samples drawn from it then (expected.json); every sample depends on
/// every weight, so equal samples mean equal weights.
/// </summary>
public class CheckpointFormatTests
{
    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "checkpoint-v2");
    private static readonly string V2File = Path.Combine(FixtureFolder, "step-00000006.ckpt");

    private static (long Step, int[] Ema, int[] Online) Expected()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "expected.json")));
        var root = json.RootElement;
        return (root.GetProperty("step").GetInt64(),
            root.GetProperty("ddimSeed5Steps20Ema").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            root.GetProperty("ddimSeed5Steps20Online").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    private static int[] Draw(LoadedModel loaded)
    {
        using var scope = NewDisposeScope();
        var samples = Sampler.Draw(loaded.Model, loaded.Config.Model.DataShape, 32, SamplerKind.Ddim, new SamplerOptions { Steps = 20, Seed = 5 });
        return samples.to(ScalarType.Int32).contiguous().data<int>().ToArray();
    }

    [Fact]
    public void AVersion2CheckpointIsStillReadForSampling()
    {
        Assert.Equal(2, BitConverter.ToInt32(File.ReadAllBytes(V2File), 8));
        var (step, ema, online) = Expected();
        Assert.NotEqual(ema, online); // the two weight sets differ, so each comparison below tells them apart

        using (var loaded = Checkpoint.LoadModel(V2File, ema: true))
        {
            Assert.Equal(step, loaded.Step);
            Assert.Equal(ema, Draw(loaded));
        }
        using (var loaded = Checkpoint.LoadModel(V2File, ema: false))
            Assert.Equal(online, Draw(loaded));
    }

    [Fact]
    public void AVersion2CheckpointResumesAndIsRewrittenInTheCurrentFormat()
    {
        using var dir = new TempFolder();
        var config = Checkpoint.ReadConfig(V2File);
        var (step, ema, _) = Expected();
        var path = dir.File("step-00000006.ckpt");
        using (var model = ModelFactory.Build(config))
        using (var trainer = new Trainer(model, config.Train, config.Model.NumClasses))
        {
            Checkpoint.Restore(V2File, config, trainer);
            Assert.Equal(step, trainer.Step);
            Assert.Equal(step, trainer.Ema.Updates); // one EMA update per step from the start
            Checkpoint.Save(path, config, trainer);
        }

        Assert.Equal(Checkpoint.FormatVersion, BitConverter.ToInt32(File.ReadAllBytes(path), 8));
        using var reloaded = Checkpoint.LoadModel(path);
        Assert.Equal(step, reloaded.Step);
        Assert.Equal(ema, Draw(reloaded));
    }

    [Fact]
    public void TheTrainingStateRoundTripsAndRefusesNegativeCounts()
    {
        var state = new TrainingState { Step = 12, NonFiniteTotal = 3, EmaUpdates = 11 };
        Assert.Equal(state, TrainingState.FromJson(state.ToJson()));
        Assert.Throws<FormatException>(() => TrainingState.FromJson("""{"step": -1}"""));
    }
}
