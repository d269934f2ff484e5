namespace Vdm.Tests.Support;

/// <summary>
/// Runs a body while another thread forces gen-0 collections and drains finalizers without pause: the condition in
/// which a Scalar passed implicitly to libtorch can be finalized while libtorch still reads it (docs/reliability.md,
/// "The libtorch Scalar race").
/// </summary>
internal static class CollectionsBeside
{
    public static void Run(Action body)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                GC.WaitForPendingFinalizers();
            }
        })
        { IsBackground = true };
        collector.Start();
        try
        {
            body();
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}
