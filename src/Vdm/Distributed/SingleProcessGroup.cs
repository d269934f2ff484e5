using static TorchSharp.torch;

namespace Vdm.Distributed;

/// <summary>The default: one process, no MPI. Every collective is the identity.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public static SingleProcessGroup Instance { get; } = new();

    private SingleProcessGroup()
    {
    }

    public int Rank => 0;

    public int Size => 1;

    public string Description => "single process";

    public void AllReduceSum(Tensor buffer)
    {
    }

    public void Broadcast(Tensor buffer, int root = 0)
    {
    }

    public void Barrier()
    {
    }

    public void Abort(int exitCode, string message)
    {
        Console.Error.WriteLine(message);
        Environment.Exit(exitCode);
    }

    public void Dispose()
    {
    }
}
