using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>Bad command lines: exit 2, one stderr line naming the problem, nothing written.</summary>
public class ParseErrorTests
{
    [Fact]
    public async Task Unknown_verb_is_named()
    {
        var result = await CliHarness.Run("bogus");
        result.AssertUsageError("bogus");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task No_verb_lists_the_verbs()
    {
        var result = await CliHarness.Run();
        result.AssertUsageError("train", "sample", "eval");
    }

    [Theory]
    [InlineData("train", "--bogus")]
    [InlineData("sample", "run", "--no-such-option")]
    [InlineData("eval", "run", "--frobnicate")]
    [InlineData("data", "list", "--bogus")]
    public async Task Unknown_option_is_named(params string[] args)
    {
        var result = await CliHarness.Run(args);
        result.AssertUsageError(args[^1]);
    }

    [Theory]
    [InlineData("--steps", "-1")]
    [InlineData("--steps", "0")]
    [InlineData("--steps", "abc")]
    [InlineData("--batch-size", "0")]
    [InlineData("--batch-size", "-5")]
    [InlineData("--lr", "0")]
    [InlineData("--lr", "nan")]
    [InlineData("--minutes", "-2")]
    [InlineData("--threads", "-1")]
    [InlineData("--dropout", "1")]
    [InlineData("--ema", "1.5")]
    [InlineData("--time-steps", "-3")]
    [InlineData("--schedule", "cosine")]
    [InlineData("--network", "resnet")]
    [InlineData("--eval-every", "-1")]
    [InlineData("--channel-mults", "1,0,2")]
    [InlineData("--channel-mults", "1,,2")]
    [InlineData("--channel-mults", "two")]
    [InlineData("--attention", "maybe")]
    public async Task Impossible_train_values_are_refused_before_anything_is_written(string option, string value)
    {
        using var temp = new CliTemp();
        var run = temp.Sub("run");
        var result = await CliHarness.Run("train", "--run", run, option, value);
        result.AssertUsageError(option, value);
        Assert.False(Directory.Exists(run), "the run folder must not be created");
    }

    [Theory]
    [InlineData("sample", "r", "--count", "0")]
    [InlineData("sample", "r", "--steps", "-1")]
    [InlineData("sample", "r", "--sampler", "euler")]
    [InlineData("sample", "r", "--guidance", "-1")]
    [InlineData("sample", "r", "--columns", "0")]
    [InlineData("eval", "r", "--examples", "0")]
    [InlineData("eval", "r", "--batch-size", "0")]
    [InlineData("eval", "r", "--time-samples", "0")]
    public async Task Impossible_sample_and_eval_values_are_refused(params string[] args)
    {
        var result = await CliHarness.Run(args);
        result.AssertUsageError(args[^2], args[^1]);
    }

    [Fact]
    public async Task Missing_positional_argument_is_named()
    {
        var result = await CliHarness.Run("sample");
        result.AssertUsageError("RUN|CHECKPOINT");
    }

    [Fact]
    public async Task Help_exits_zero_and_lists_options()
    {
        var result = await CliHarness.Run("train", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--batch-size", result.Out);
        Assert.Contains("--class-conditional", result.Out);
    }
}
