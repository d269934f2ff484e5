using System.CommandLine;
using Vdm.Cli.Infrastructure;

namespace Vdm.Cli.Commands;

/// <summary><c>vdm data list | fetch NAME | info NAME</c>.</summary>
public static class DataCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("data", "List, fetch and inspect datasets");

        var list = new Command("list", "List the datasets Vdm knows by name");
        CommandTree.SetHandler(list, context, _ => DataActions.List(context));
        command.Add(list);

        var fetchName = new Argument<string>("NAME") { Description = "Catalogue name (see `vdm data list`)" };
        var fetchDir = Opt.Text("--data-dir", "Data cache folder (default: $VDM_DATA or ~/.cache/vdm)", "DIR");
        var fetch = new Command("fetch", "Find or download a dataset into the cache and check it loads");
        fetch.Add(fetchName);
        fetch.Add(fetchDir);
        CommandTree.SetHandler(fetch, context, parsed => DataActions.Fetch(context, parsed.GetValue(fetchName)!, parsed.GetValue(fetchDir)));
        command.Add(fetch);

        var infoName = new Argument<string>("NAME") { Description = "Catalogue name or a folder of IDX files" };
        var infoDir = Opt.Text("--data-dir", "Data cache folder", "DIR");
        var info = new Command("info", "Show where a dataset is found locally, its files and checksums");
        info.Add(infoName);
        info.Add(infoDir);
        CommandTree.SetHandler(info, context, parsed => DataActions.Info(context, parsed.GetValue(infoName)!, parsed.GetValue(infoDir)));
        command.Add(info);

        CommandTree.SetHandler(command, context, _ =>
            throw new UsageException("expected a sub-verb: list, fetch NAME or info NAME"));
        return command;
    }
}
