using System.Text.RegularExpressions;
using Xunit;

namespace Vdm.Tests.Docs;

/// <summary>docs/library.md shows each region of <see cref="LibraryExamples"/> verbatim, after a marker
/// <c>&lt;!-- example: NAME --&gt;</c>, and nothing else as an example; so the document cannot drift from code that runs.</summary>
public partial class LibraryDocTests
{
    [Fact]
    public void Every_example_in_the_doc_is_the_code_that_runs()
    {
        var root = RepoRoot();
        var code = Regions(File.ReadAllText(Path.Combine(root, "tests", "Vdm.Tests", "Docs", "LibraryExamples.cs")));
        var doc = DocBlocks(File.ReadAllText(Path.Combine(root, "docs", "library.md")));
        Assert.NotEmpty(code);
        Assert.Equal(code.Keys.Order(), doc.Keys.Order());
        foreach (var (name, text) in code) Assert.True(text == doc[name], $"docs/library.md example '{name}' differs from LibraryExamples.cs:\n{doc[name]}\n--- expected ---\n{text}");
    }

    /// <summary>Regions "// example: NAME" … "// end example", dedented.</summary>
    internal static Dictionary<string, string> Regions(string source)
    {
        var regions = new Dictionary<string, string>();
        foreach (Match m in RegionPattern().Matches(source))
            regions[m.Groups[1].Value] = Dedent(m.Groups[2].Value);
        return regions;
    }

    /// <summary>The ```csharp block after each "&lt;!-- example: NAME --&gt;" marker.</summary>
    internal static Dictionary<string, string> DocBlocks(string markdown)
    {
        var blocks = new Dictionary<string, string>();
        foreach (Match m in DocPattern().Matches(markdown.Replace("\r\n", "\n", StringComparison.Ordinal)))
            blocks[m.Groups[1].Value] = Dedent(m.Groups[2].Value);
        return blocks;
    }

    private static string Dedent(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd().Split('\n').SkipWhile(string.IsNullOrWhiteSpace).ToList();
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vdm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Vdm.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"// example: ([\w-]+)[ \t]*\n(.*?)\n[ \t]*// end example", RegexOptions.Singleline)]
    private static partial Regex RegionPattern();

    [GeneratedRegex(@"<!-- example: ([\w-]+) -->\s*\n```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex DocPattern();
}
