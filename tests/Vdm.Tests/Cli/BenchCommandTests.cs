using System.Text.Json;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary><c>vdm bench</c> through the CLI. Nothing here asserts a time.</summary>
public class BenchCommandTests
{
    [Fact]
    public async Task Unknown_configuration_is_a_usage_error_naming_the_known_ones()
    {
        var result = await CliHarness.Run("bench", "--config", "bench-nope");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("bench-vdm", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_policy_cannot_change_once_libtorch_is_loaded()
    {
        _ = TorchSharp.torch.ones(1); // the test process has loaded libtorch (and its OpenMP) already
        var result = await CliHarness.Run("bench", "--config", "bench-default", "--omp-wait", "passive");
        result.AssertUsageError("OMP_WAIT_POLICY");
    }

    [Fact]
    public async Task Json_goes_to_stdout_and_to_the_file_and_the_table_to_stderr()
    {
        using var temp = new CliTemp();
        var file = temp.Sub("out/bench.json");
        var result = await CliHarness.Run("bench", "--config", "bench-default", "--repeats", "1", "--warmup", "0", "--no-sampling",
            "--sgemm-size", "128", "--json-out", file);
        Assert.True(result.ExitCode == 0, result.Err);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("bench-default", json.RootElement.GetProperty("config").GetString());
        Assert.Equal(TorchSharp.torch.get_num_threads(), json.RootElement.GetProperty("environment").GetProperty("threads").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("sampling").ValueKind);
        Assert.Equal(result.Out.Trim(), File.ReadAllText(file).Trim());
        Assert.Contains("training step", result.Err, StringComparison.Ordinal);
        Assert.Contains("live tensors before/after", result.Err, StringComparison.Ordinal);
    }
}
