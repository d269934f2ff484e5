using System.Buffers.Binary;
using System.Text.Json;
using Vdm.Tests.Cli;
using Xunit;

namespace Vdm.Tests.Distributed;

/// <summary>
/// <c>vdm sample --shard i/n</c> and <c>vdm eval --shard i/n</c>, put together by <c>vdm merge</c>, give exactly what one
/// process gives: the same PNG byte for byte, the same bits/dim and standard error (sample i and example j are
/// seeded by (seed, index) only).
/// </summary>
public class ShardingTests
{
    [Theory]
    [InlineData("swirl")]
    [InlineData("squares")]
    public async Task Sharded_samples_merge_to_the_unsharded_grid_byte_for_byte(string data)
    {
        using var temp = new CliTemp();
        var run = await TrainTiny(temp, data);
        var whole = temp.Sub("whole.png");
        string[] common = ["sample", run, "--count", "11", "--sampler", "ddim", "--steps", "4", "--seed", "5"];
        Assert.Equal(0, (await CliHarness.Run([.. common, "--out", whole])).ExitCode);
        foreach (var n in new[] { 2, 3 })
        {
            var grid = temp.Sub($"sharded-{n}/grid.png");
            for (int i = n - 1; i >= 0; i--) // any order
            {
                var part = await CliHarness.Run([.. common, "--out", grid, "--shard", $"{i}/{n}"]);
                Assert.True(part.ExitCode == 0, part.Err);
                Assert.Contains($"wrote shard {i}/{n}", part.Out);
            }
            Assert.False(File.Exists(grid));
            var shards = Enumerable.Range(0, n).Select(i => temp.Sub($"sharded-{n}/grid.shard-{i}-of-{n}.json")).ToArray();
            var merged = await CliHarness.Run(["merge", .. shards]);
            Assert.True(merged.ExitCode == 0, merged.Err);
            Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(grid));
        }
    }

    [Fact]
    public async Task Sharded_eval_merges_to_the_unsharded_figure()
    {
        using var temp = new CliTemp();
        var run = await TrainTiny(temp, "swirl");
        var whole = await CliHarness.Run("eval", run, "--examples", "50", "--batch-size", "16", "--time-samples", "2", "--seed", "4", "--json");
        Assert.True(whole.ExitCode == 0, whole.Err);
        foreach (var (i, batch) in new[] { (0, "7"), (1, "50") }) // shards need not share a batch size
        {
            var part = await CliHarness.Run("eval", run, "--examples", "50", "--batch-size", batch, "--time-samples", "2", "--seed", "4", "--shard", $"{i}/2");
            Assert.True(part.ExitCode == 0, part.Err);
        }
        var shards = Directory.GetFiles(run, "eval-*.shard-*-of-2.json");
        Assert.Equal(2, shards.Length);
        var merged = await CliHarness.Run(["merge", "--json", .. shards]);
        Assert.True(merged.ExitCode == 0, merged.Err);
        using var a = JsonDocument.Parse(whole.Out);
        using var b = JsonDocument.Parse(merged.Out);
        foreach (var name in new[] { "bitsPerDim", "stdErr", "recon", "prior", "diffusion" })
            Assert.Equal(a.RootElement.GetProperty(name).GetDouble(), b.RootElement.GetProperty(name).GetDouble());
        Assert.Equal(50, b.RootElement.GetProperty("examples").GetInt32());

        var incomplete = await CliHarness.Run(["merge", shards[0]]);
        incomplete.AssertUsageError("missing");
        var twice = await CliHarness.Run(["merge", shards[0], shards[0], shards[1]]);
        twice.AssertUsageError("given twice");
        var badShard = await CliHarness.Run("eval", run, "--shard", "2/2");
        badShard.AssertUsageError("--shard 2/2");
    }

    [MpiFact]
    public void Ranks_of_mpirun_sample_their_shards_from_the_environment()
    {
        using var temp = new CliTemp();
        var run = TrainTiny(temp, "swirl").GetAwaiter().GetResult();
        var whole = temp.Sub("whole.png");
        string[] common = ["sample", run, "--count", "9", "--sampler", "ddim", "--steps", "4", "--seed", "5"];
        Assert.Equal(0, CliHarness.Run([.. common, "--out", whole]).GetAwaiter().GetResult().ExitCode);
        var grid = temp.Sub("mpi/grid.png");
        using (var job = MpiLauncher.OpenMpi()!.Start(2, [.. common, "--out", grid]))
            Assert.True(job.Wait() == 0, job.Describe());
        var merged = CliHarness.Run("merge", temp.Sub("mpi/grid.shard-0-of-2.json"), temp.Sub("mpi/grid.shard-1-of-2.json")).GetAwaiter().GetResult();
        Assert.True(merged.ExitCode == 0, merged.Err);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(grid));
    }

    private static async Task<string> TrainTiny(CliTemp temp, string data)
    {
        var run = temp.Sub("run");
        string[] args = data == "swirl"
            ? ["train", "--dataset", "swirl", "--run", run, "--steps", "2", "--batch-size", "16", "--channels", "16", "--blocks", "1", "--eval-every", "0", "--sample-every", "0", "--seed", "3"]
            : ["train", "--preset", "tiny", "--dataset", Squares(temp), "--run", run, "--steps", "2", "--batch-size", "8", "--class-conditional", "--eval-every", "0", "--sample-every", "0", "--seed", "3"];
        var train = await CliHarness.Run(args);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        return run;
    }

    /// <summary>Labelled 8×8 images in IDX files: a bright square in the quadrant of the class (i mod 4).</summary>
    private static string Squares(CliTemp temp)
    {
        var folder = temp.Sub("squares");
        Directory.CreateDirectory(folder);
        foreach (var (token, count) in new[] { ("train", 24), ("t10k", 12) })
        {
            var images = new byte[16 + count * 64];
            BinaryPrimitives.WriteInt32BigEndian(images, 0x00000803);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 8);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 8);
            var labels = new byte[8 + count];
            BinaryPrimitives.WriteInt32BigEndian(labels, 0x00000801);
            BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
            for (int i = 0; i < count; i++)
            {
                labels[8 + i] = (byte)(i % 4);
                for (int p = 0; p < 64; p++)
                    images[16 + i * 64 + p] = (byte)(p / 8 / 4 == i % 4 / 2 && p % 8 / 4 == i % 4 % 2 ? 230 : 20 + (p + i) % 7);
            }
            File.WriteAllBytes(Path.Combine(folder, $"{token}-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(folder, $"{token}-labels-idx1-ubyte"), labels);
        }
        return folder;
    }
}
