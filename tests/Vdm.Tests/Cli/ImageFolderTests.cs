using System.Buffers.Binary;
using Vdm.Imaging;
using Vdm.Training;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>A user's folder of IDX files (tiny labelled 8×8 images) through the CLI: class-conditional training,
/// sampling one class with guidance and a trajectory, and the plots of an image run.</summary>
public class ImageFolderTests
{
    private const int Side = 8;
    private const int Classes = 4;

    [Fact]
    public async Task Class_conditional_run_on_an_idx_folder()
    {
        using var temp = new CliTemp();
        var data = SquaresFolder(temp, 40, 16);
        var run = temp.Sub("run");

        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "2",
            "--batch-size", "8", "--class-conditional", "--seed", "2");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        Assert.Contains($"{Classes} classes", train.Out);

        var png = temp.Sub("class2.png");
        var sample = await CliHarness.Run("sample", run, "--class", "2", "--guidance", "1.5", "--count", "4", "--sampler", "ddim",
            "--steps", "3", "--trajectory", "--out", png);
        Assert.True(sample.ExitCode == 0, sample.Err + sample.Out);
        var grid = PngReader.Read(png);
        Assert.Equal(2 + 2 * (Side + 2), grid.Width); // 4 samples: a 2×2 grid of 8×8 tiles with 2-pixel padding
        Assert.True(File.Exists(temp.Sub("class2-trajectory.png")));

        var badClass = await CliHarness.Run("sample", run, "--class", $"{Classes}");
        badClass.AssertUsageError("--class", $"0..{Classes - 1}");

        var plot = await CliHarness.Run("plot", run, "--out", temp.Sub("plots"));
        Assert.True(plot.ExitCode == 0, plot.Err + plot.Out);
        Assert.True(PngReader.Read(temp.Sub("plots/forward-process.png")).Width > 0);
    }

    [Fact]
    public async Task Network_shape_options_reach_the_runs_config_and_are_fixed_on_resume()
    {
        using var temp = new CliTemp();
        var data = SquaresFolder(temp, 16, 8);
        var run = temp.Sub("run");

        var train = await CliHarness.Run("train", "--preset", "tiny", "--dataset", data, "--run", run, "--steps", "1",
            "--batch-size", "8", "--channel-mults", "1,3", "--attention", "on");
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        var model = Vdm.Training.TrainingRun.ReadConfig(run).Model;
        Assert.Equal([1, 3], model.ChannelMultipliers);
        Assert.True(model.Attention); // the tiny preset has it off

        var resume = await CliHarness.Run("train", "--run", run, "--resume", "--steps", "2", "--channel-mults", "1,2");
        resume.AssertUsageError("--channel-mults");
    }

    [Fact]
    public async Task Class_conditional_on_unlabelled_data_is_refused()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        var result = await CliHarness.Run("train", "--dataset", "swirl", "--run", run, "--class-conditional");
        result.AssertUsageError("--class-conditional", "swirl");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task A_network_that_cannot_read_the_data_is_refused()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        var result = await CliHarness.Run("train", "--dataset", "moons", "--network", "multires", "--run", run);
        result.AssertUsageError("moons", "--network mlp");
        Assert.False(Directory.Exists(run));
    }

    /// <summary>A folder of IDX files with <paramref name="train"/> and <paramref name="test"/> labelled squares.</summary>
    internal static string SquaresFolder(CliTemp temp, int train, int test)
    {
        var data = temp.Sub("squares");
        Directory.CreateDirectory(data);
        WriteSplit(data, "train", train);
        WriteSplit(data, "t10k", test);
        return data;
    }

    /// <summary>Image i shows a bright 4×4 square in the quadrant of its class (i mod 4) on a dim background.</summary>
    private static void WriteSplit(string folder, string token, int count)
    {
        var images = new byte[16 + count * Side * Side];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), Side);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), Side);
        var labels = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(labels, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            int label = i % Classes;
            labels[8 + i] = (byte)label;
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    bool inside = y / 4 == label / 2 && x / 4 == label % 2;
                    images[16 + i * Side * Side + y * Side + x] = (byte)(inside ? 230 : 20 + (x + y + i) % 7);
                }
        }
        File.WriteAllBytes(Path.Combine(folder, $"{token}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(folder, $"{token}-labels-idx1-ubyte"), labels);
    }
}
