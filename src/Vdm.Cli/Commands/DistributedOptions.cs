using System.CommandLine;
using Vdm.Cli.Infrastructure;
using Vdm.Distributed;

namespace Vdm.Cli.Commands;

/// <summary>How <c>vdm train</c> finds its partners: alone, through MPI, or as the launcher says (docs/distributed.md).</summary>
public enum DistributedMode { Auto, Mpi, None }

/// <summary>The options of data-parallel training, and joining the process group they ask for.</summary>
public static class DistributedOptions
{
    public static readonly IReadOnlyDictionary<string, DistributedMode> Words = new Dictionary<string, DistributedMode>
    {
        ["auto"] = DistributedMode.Auto,
        ["mpi"] = DistributedMode.Mpi,
        ["none"] = DistributedMode.None,
    };

    /// <summary>Default of --comm-timeout: longer than a checkpoint, evaluation and sample grid of rank 0, during which
    /// the other ranks wait in the next collective.</summary>
    public const int DefaultTimeoutSeconds = 600;

    public static Option<DistributedMode?> Mode() => Opt.Choice("--distributed",
        "Data-parallel training: auto (MPI when started by mpirun/srun with several processes), mpi, or none", Words);

    public static Option<int?> Timeout() => Opt.Int("--comm-timeout",
        $"Seconds one all-reduce may wait for the other ranks before this rank gives up (default {DefaultTimeoutSeconds})", min: 1, helpName: "S");

    /// <summary>The group to train in; one process unless MPI is asked for or a multi-process launcher is detected.</summary>
    public static IProcessGroup Join(DistributedMode? mode, int? timeoutSeconds)
    {
        var env = Launcher.Environment();
        bool mpi = mode switch
        {
            DistributedMode.Mpi => true,
            DistributedMode.None => false,
            _ => Launcher.MpiWorld(env) is not null,
        };
        if (!mpi) return SingleProcessGroup.Instance;
        try
        {
            return MpiProcessGroup.Start(TimeSpan.FromSeconds(timeoutSeconds ?? DefaultTimeoutSeconds), env);
        }
        catch (DistributedException e)
        {
            var why = mode == DistributedMode.Mpi ? "--distributed mpi" : $"started by an MPI launcher ({Launcher.MpiWorld(env)?.Source})";
            throw new UsageException($"{why}: {e.Message}");
        }
    }
}
