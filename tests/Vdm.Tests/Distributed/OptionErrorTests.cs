using Vdm.Distributed;
using Vdm.Tests.Cli;
using Xunit;

namespace Vdm.Tests.Distributed;

/// <summary>The distributed and device options' bad inputs: one line naming the problem, exit 2, nothing written.</summary>
public class OptionErrorTests
{
    [Fact]
    public void Asking_for_MPI_where_none_loads_is_one_line_and_exit_2()
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        using var job = MpiLauncher.StartAlone(new Dictionary<string, string> { ["VDM_MPI_LIBRARY"] = "libmpi-that-is-not-there.so" },
            "train", "--dataset", "swirl", "--steps", "1", "--distributed", "mpi", "--run", run);
        Assert.Equal(2, job.Wait());
        var lines = job.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, job.Error);
        Assert.Contains("--distributed mpi: no MPI library could be loaded (tried libmpi-that-is-not-there.so)", lines[0]);
        Assert.Contains("apt-get install openmpi-bin", lines[0]);
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData("train", "--dataset", "swirl", "--steps", "1")]
    [InlineData("sample", "nowhere")]
    [InlineData("eval", "nowhere")]
    [InlineData("bench", "--config", "bench-default", "--repeats", "1")]
    public async Task Device_cuda_on_the_cpu_runtime_names_how_to_get_one(params string[] args)
    {
        var result = await CliHarness.Run([.. args, "--device", "cuda"]);
        result.AssertUsageError("--device cuda", "CPU runtime", "TorchSharp-cuda-linux");
        var bad = await CliHarness.Run([.. args, "--device", "tpu"]);
        bad.AssertUsageError("--device tpu", "cpu, cuda or cuda:N");
    }

    [Theory]
    [InlineData("sample", "1/0")]
    [InlineData("sample", "x")]
    [InlineData("eval", "-1/2")]
    public async Task A_bad_shard_is_one_line_and_exit_2(string verb, string shard)
    {
        var result = await CliHarness.Run(verb, "nowhere", "--shard", shard);
        result.AssertUsageError($"--shard {shard}");
    }

    [Fact]
    public void Shards_split_a_batch_into_disjoint_ordered_parts()
    {
        foreach (var (total, size) in new[] { (64L, 2), (64L, 3), (5L, 8), (1000L, 7) })
        {
            long next = 0;
            for (int r = 0; r < size; r++)
            {
                var s = Vdm.Distributed.BatchShard.For(r, size, total);
                Assert.Equal(next, s.Start);
                Assert.InRange(s.Count, total / size, total / size + 1);
                next = s.End;
            }
            Assert.Equal(total, next);
        }
    }
}
