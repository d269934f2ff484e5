namespace Vdm.Runtime;

/// <summary>The CPU's model name and the instruction-set extensions that matter for libtorch's CPU kernels, from /proc/cpuinfo.</summary>
public static class CpuInfo
{
    /// <summary>The "model name" line, or "unknown".</summary>
    public static string Model() => Field("model name") ?? "unknown";

    /// <summary>Which of the extensions that select oneDNN's and libtorch's kernels this CPU reports (machines differ: docs/performance.md).</summary>
    public static string[] Features()
    {
        var flags = (Field("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string[] interesting = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile"];
        return interesting.Where(flags.Contains).ToArray();
    }

    private static string? Field(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line[..colon].Trim() == name) return line[(colon + 1)..].Trim();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
