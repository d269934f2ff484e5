using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Cli;

public class DataCommandTests
{
    [Fact]
    public async Task List_shows_the_catalogue()
    {
        var result = await CliHarness.Run("data", "list");
        Assert.True(result.ExitCode == 0, result.Err);
        foreach (var name in Vdm.Data.DatasetCatalog.Names)
            Assert.Contains(name, result.Out);
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task Info_describes_a_generated_dataset()
    {
        var result = await CliHarness.Run("data", "info", "moons");
        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Contains("moons", result.Out);
        Assert.Contains("generated", result.Out);
    }

    [Fact]
    public async Task Fetch_of_a_generated_dataset_reports_both_splits()
    {
        var result = await CliHarness.Run("data", "fetch", "swirl");
        Assert.True(result.ExitCode == 0, result.Err);
        Assert.Contains("swirl train: 10000 examples", result.Out);
        Assert.Contains("swirl test:", result.Out);
    }

    [Theory]
    [InlineData("fetch")]
    [InlineData("info")]
    public async Task Unknown_dataset_is_named(string verb)
    {
        var result = await CliHarness.Run("data", verb, "imagenet-9000");
        result.AssertUsageError("imagenet-9000", "mnist");
    }

    [Fact]
    public async Task Data_without_a_sub_verb_says_what_is_expected()
    {
        var result = await CliHarness.Run("data");
        result.AssertUsageError("list", "fetch", "info");
    }
}
