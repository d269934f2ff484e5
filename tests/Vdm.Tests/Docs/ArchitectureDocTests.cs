using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace Vdm.Tests.Docs;

/// <summary>docs/architecture.md matches the tree: its paths exist, it lists every project under src/, and every
/// project references only what its row allows (so the core keeps to TorchSharp).</summary>
public partial class ArchitectureDocTests
{
    private static readonly string Root = RepoRoot();
    private static readonly string Doc = File.ReadAllText(Path.Combine(Root, "docs", "architecture.md"));

    [Fact]
    public void EveryPathInTheMapExists()
    {
        var paths = PathPattern().Matches(Doc).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(paths.Count > 30, $"only {paths.Count} paths");
        Assert.All(paths, p => Assert.True(File.Exists(Path.Combine(Root, p)) || Directory.Exists(Path.Combine(Root, p)), $"docs/architecture.md names {p}, which does not exist"));
    }

    [Fact]
    public void EveryProjectIsListedAndKeepsToItsDependencies()
    {
        var rows = Rows();
        var projects = Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetFileNameWithoutExtension(p)).Order().ToList();
        Assert.Equal(projects, rows.Keys.Order().ToList());
        foreach (var (project, (allowedProjects, allowedPackages)) in rows)
        {
            var xml = XDocument.Load(Path.Combine(Root, "src", project, project + ".csproj"));
            var references = xml.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value)).ToList();
            var packages = xml.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value).ToList();
            Assert.All(references, r => Assert.True(allowedProjects.Contains(r), $"{project} references {r}, which docs/architecture.md does not allow"));
            Assert.All(packages, p => Assert.True(allowedPackages.Contains(p), $"{project} uses package {p}, which docs/architecture.md does not allow"));
        }
        Assert.Equal(["TorchSharp"], rows["Vdm"].Packages);
    }

    /// <summary>The dependency table: project → (projects, packages) it may reference.</summary>
    private static Dictionary<string, (HashSet<string> Projects, List<string> Packages)> Rows()
    {
        var rows = new Dictionary<string, (HashSet<string>, List<string>)>();
        foreach (Match m in RowPattern().Matches(Doc))
        {
            static IEnumerable<string> Names(string cell) =>
                cell.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(n => n != "—");
            rows[m.Groups[1].Value] = (Names(m.Groups[2].Value).ToHashSet(), Names(m.Groups[3].Value).ToList());
        }
        return rows;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vdm.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Vdm.slnx above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"`((?:src|tests|docs|bench)/[^`\s]+)`")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"^\| `src/([\w.]+)` \| [^|]+ \| ([^;|]*); ([^|]*) \|$", RegexOptions.Multiline)]
    private static partial Regex RowPattern();
}
