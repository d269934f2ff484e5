using Vdm.Cli.Infrastructure;
using Vdm.Data;

namespace Vdm.Cli.Commands;

/// <summary>The one place where the CLI asks the data layer for a split (and reports where it came from).</summary>
internal static class DataAccess
{
    // Until the data layer's resolver is on main: the generated 2-D toys only.
    public static void CheckName(string name)
    {
        if (!Toy2D.Names.Contains(name.Trim().ToLowerInvariant()))
            throw new ArgumentException($"unknown dataset '{name}': expected one of {string.Join(", ", Toy2D.Names)}");
    }

    public static Dataset Load(CliContext context, string name, string split, string? dataDir)
    {
        CheckName(name);
        var train = SplitNames.Normalise(split) == SplitNames.Train;
        return Toy2D.Generate(name, train ? 10_000 : 2_000, seed: train ? 0 : 1, split: SplitNames.Normalise(split));
    }
}
