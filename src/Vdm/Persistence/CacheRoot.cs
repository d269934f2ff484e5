namespace Vdm.Persistence;

/// <summary>
/// The folder Vdm keeps things in between runs (datasets, the sample-quality classifiers, runtime findings):
/// the given folder, else the environment variable <c>VDM_DATA</c>, else <c>~/.cache/vdm</c>.
/// </summary>
public static class CacheRoot
{
    public const string EnvironmentVariable = "VDM_DATA";

    public static string Default(string? dataDir = null, Func<string, string?>? environment = null)
    {
        if (!string.IsNullOrWhiteSpace(dataDir)) return dataDir;
        var fromEnv = (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vdm");
    }
}
