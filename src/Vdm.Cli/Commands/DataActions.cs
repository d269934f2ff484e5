using Spectre.Console;
using Vdm.Cli.Infrastructure;
using Vdm.Data;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm data list | fetch NAME | info NAME</c>.</summary>
public static class DataActions
{
    public static int List(CliContext context)
    {
        var rows = DatasetCatalog.All.Select(spec => new[]
        {
            spec.Name,
            spec.ExampleShape.Length == 0 ? "?" : $"[{string.Join(", ", spec.ExampleShape)}]",
            spec.NumClasses == 0 ? "-" : spec.NumClasses.ToString(System.Globalization.CultureInfo.InvariantCulture),
            spec.Format == DatasetFormat.Toy2D ? "generated" : $"{spec.TrainCount:N0} / {spec.TestCount:N0}",
            spec.Description,
        }).ToList();
        string[] header = ["name", "shape", "classes", "train / test", "description"];
        if (context.Interactive)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in header) table.AddColumn(h);
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) }).Write(table);
        }
        else
        {
            var widths = Enumerable.Range(0, header.Length - 1).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
            string Line(string[] cells) => string.Join("  ", cells.Take(widths.Length).Select((c, i) => c.PadRight(widths[i]))) + "  " + cells[^1];
            context.Out.WriteLine(Line(header));
            foreach (var row in rows) context.Out.WriteLine(Line(row));
        }
        context.Out.WriteLine("Any folder of IDX files or of PNG/JPEG images also works as --dataset PATH. Fetch with: vdm data fetch NAME");
        return ExitCodes.Success;
    }

    public static int Fetch(CliContext context, string name, string? dataDir)
    {
        DataAccess.CheckName(name);
        foreach (var split in new[] { SplitNames.Train, SplitNames.Test })
        {
            if (context.Cancel.IsCancellationRequested) throw new OperationCanceledException(context.Cancel);
            using var data = DataAccess.Load(name, split, dataDir, context.Out);
            var classes = data.Labels is null ? "unlabelled" : $"{data.NumClasses} classes";
            context.Out.WriteLine($"{data.Name} {data.Split}: {data.Count} examples of shape [{string.Join(", ", data.ExampleShape)}], {data.Vocab} levels, {classes}; {data.Source}");
        }
        return ExitCodes.Success;
    }

    public static int Info(CliContext context, string name, string? dataDir)
    {
        var info = DataInfo.Inspect(name, new DataOptions { DataDir = dataDir }, load: true, hash: true);
        foreach (var line in info.ToLines()) context.Out.WriteLine(line);
        return ExitCodes.Success;
    }
}
