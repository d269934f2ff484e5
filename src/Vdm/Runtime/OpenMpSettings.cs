using System.Runtime.InteropServices;

namespace Vdm.Runtime;

/// <summary>
/// libtorch's CPU kernels run on an OpenMP (libgomp) thread team. By default idle team threads spin for a while
/// before sleeping: the fastest choice on an otherwise idle machine, and a very slow one on a shared machine, where a
/// spinning thread burns the time slice its partner needs (measured here: 2-thread training steps 2–4× slower under
/// load, see docs/performance.md). libgomp reads <c>OMP_WAIT_POLICY</c> once, when libtorch is loaded, and .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change the native environment, so this
/// sets it with libc's <c>setenv</c>; it must run before the first TorchSharp call.
/// </summary>
public static class OpenMpSettings
{
    /// <summary>The native value of OMP_WAIT_POLICY (PASSIVE, ACTIVE) or null when unset (libgomp's default: spin, then sleep).</summary>
    public static string? WaitPolicy => Marshal.PtrToStringUTF8(getenv("OMP_WAIT_POLICY"));

    /// <summary>True once libgomp is mapped into this process (from then on a new policy has no effect).</summary>
    public static bool OpenMpLoaded()
    {
        try
        {
            return File.ReadAllText("/proc/self/maps").Contains("libgomp", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Sets OMP_WAIT_POLICY (e.g. "PASSIVE") for the libgomp that libtorch will load; throws when it is
    /// already loaded, since the setting would silently do nothing.</summary>
    public static void SetWaitPolicy(string policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        if (OpenMpLoaded()) throw new InvalidOperationException("OpenMP is already loaded: set the wait policy before the first TorchSharp call");
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("OMP_WAIT_POLICY is set through libc's setenv (Linux, macOS)");
        if (setenv("OMP_WAIT_POLICY", policy, 1) != 0) throw new InvalidOperationException($"setenv(OMP_WAIT_POLICY, {policy}) failed");
    }

    [DllImport("libc")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
