using System.CommandLine;
using Vdm.Cli;
using Vdm.Cli.Infrastructure;
using Vdm.Tests.Cli;
using Xunit;
using Xunit.Abstractions;

namespace Vdm.Tests.Reliability;

/// <summary>
/// Every verb and every option, discovered from the CLI's own command tree (so a new option is swept without editing
/// this test): a missing value, malformed values and out-of-range values give exit code 2 and exactly one stderr line,
/// and leave the run folder byte-for-byte unchanged (or, for <c>train</c> into a new folder, never create it).
/// </summary>
[Trait("Category", "Fault")]
public sealed class CliArgumentSweepTests(SwirlRunFixture fixture, ITestOutputHelper output) : IClassFixture<SwirlRunFixture>
{
    /// <summary>Options whose every integer is valid (any seed is a seed).</summary>
    private static readonly HashSet<string> AnyNumber = ["--seed"];

    private static IEnumerable<(string[] Path, Command Command)> Leaves(Command command, string[] path)
    {
        if (command.Subcommands.Count == 0) yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var leaf in Leaves(sub, [.. path, sub.Name]))
                yield return leaf;
    }

    private static IEnumerable<string> BadValues(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(bool)) yield break; // a flag: nothing to malform (its "=maybe" form is covered below)
        if (type == typeof(string)) yield break; // any text is a name or a path: checked by the commands' own tests
        if (type.IsEnum) { yield return "bogus"; yield return "1"; yield return ""; yield break; }
        if (type == typeof(int[])) // a comma-separated list of positive integers, e.g. --channel-mults 1,2,2
        {
            foreach (var bad in new[] { "abc", "", "1,,2", "0,1", "1,-2", "1.5", "2,99999999999999999999" }) yield return bad;
            yield break;
        }
        yield return "abc";
        yield return "";
        yield return "1,5";
        yield return "0x10";
        // Integers that overflow their type; for real numbers, values that are not finite (1e23 is a valid, if odd, --minutes).
        if (type != typeof(double)) yield return "99999999999999999999999";
        if (type == typeof(double)) { yield return "nan"; yield return "1e999"; yield return "-1e999"; yield return "∞"; }
        if (type == typeof(int)) yield return "1.5";
        if (!AnyNumber.Contains(option.Name)) yield return "-99999";
    }

    /// <summary>The arguments that make a leaf command reach its options: a run for the verbs that take one.</summary>
    private string[] Base(string[] path, string run, string newRun) => path switch
    {
        ["train"] => ["train", "--run", newRun],
        ["sample"] or ["eval"] or ["plot"] => [.. path, run],
        ["data", "info"] or ["data", "fetch"] => [.. path, "swirl", "--data-dir", Path.Combine(run, "data-cache")],
        _ => path,
    };

    [Fact]
    public async Task EveryVerbRefusesMissingMalformedAndOutOfRangeArgumentsWithExitCode2AndOneLine()
    {
        var run = fixture.CopyRun();
        var newRun = fixture.NewFolder("never-created");
        var before = CliHarness.Snapshot(run);
        var root = CommandTree.Build(new CliContext(TextWriter.Null, TextWriter.Null, interactive: false, CancellationToken.None));
        var failures = new List<string>();
        int cases = 0;
        var perVerb = new SortedDictionary<string, int>();

        async Task Check(string verb, string[] args)
        {
            cases++;
            perVerb[verb] = perVerb.GetValueOrDefault(verb) + 1;
            // A bad command line must be refused at once: one that starts real work is cancelled and reported.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var code = await Vdm.Cli.Program.Run(args, stdout, stderr, timeout.Token);
            var result = new CliResult(code, stdout.ToString(), stderr.ToString());
            var line = string.Join(' ', args.Select(a => a.Length == 0 ? "''" : a));
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) failures.Add($"{line}: ran for {clock.Elapsed.TotalSeconds:F0} s instead of being refused");
            if (result.ExitCode != 2 || result.ErrLines.Length != 1)
                failures.Add($"{line}: exit {result.ExitCode}, {result.ErrLines.Length} stderr lines: {result.Err.Trim()}");
            if (Directory.Exists(newRun))
            {
                failures.Add($"{line}: created the run folder {newRun}");
                Directory.Delete(newRun, recursive: true);
            }
            var after = CliHarness.Snapshot(run);
            if (!after.SequenceEqual(before)) failures.Add($"{line}: changed the run folder");
        }

        foreach (var (path, command) in Leaves(root, []))
        {
            var verb = string.Join(' ', path);
            var baseArgs = Base(path, run, newRun);
            // A missing positional argument.
            if (command.Arguments.Count > 0) await Check(verb, path);
            foreach (var option in command.Options.Where(o => o.Name is not ("--help" or "-h" or "-?") && !o.Aliases.Contains("--help")))
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                // The value is missing. (An option already in the base arguments is checked alone below: given twice,
                // "--run X --run" is read as "--run X" by the parser, which is not a malformed line.)
                if (type == typeof(bool)) await Check(verb, [.. baseArgs, $"{option.Name}=maybe"]);
                else if (!baseArgs.Contains(option.Name)) await Check(verb, [.. baseArgs, option.Name]);
                else await Check(verb, [.. path, option.Name]);
                foreach (var value in BadValues(option)) await Check(verb, [.. baseArgs, option.Name, value]);
            }
            await Check(verb, [.. baseArgs, "--no-such-option"]);
            await Check(verb, [.. baseArgs, "unexpected-extra-argument"]);
        }

        // Resuming an existing run with impossible budgets: refused before the run is touched.
        foreach (var (option, value) in new[] { ("--steps", "0"), ("--steps", "-1"), ("--minutes", "-1"), ("--threads", "-2"), ("--steps", "abc") })
            await Check("train --resume", ["train", "--run", run, "--resume", option, value]);

        output.WriteLine($"CLI argument sweep: {cases} bad command lines over {perVerb.Count} verbs ({string.Join(", ", perVerb.Select(p => $"{p.Key} {p.Value}"))}); {failures.Count} not refused cleanly");
        foreach (var failure in failures) output.WriteLine("  " + failure);
        Assert.Empty(failures);
    }
}
