using Xunit;

namespace Vdm.Tests.Data;

/// <summary>A fact that needs a Unix shell (it runs small sh scripts); reported as skipped on Windows.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "needs /bin/sh";
    }
}
