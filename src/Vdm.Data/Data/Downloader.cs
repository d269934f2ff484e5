using System.Security.Cryptography;

namespace Vdm.Data;

/// <summary>
/// Downloads one <see cref="DataFile"/> into a folder: streams to a temporary file in that folder while hashing,
/// verifies every checksum the catalogue knows (SHA-256, published MD5, SHA-256 of the decompressed content),
/// then renames it into place. Any failure deletes the temporary file and throws <see cref="DownloadException"/>.
/// </summary>
public static class Downloader
{
    private const int BufferSize = 1 << 16;

    /// <summary>Downloads <paramref name="url"/> to <paramref name="target"/>; returns what was verified.</summary>
    public static async Task<string> DownloadAsync(
        HttpClient client,
        string url,
        string target,
        DataFile file,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var folder = Path.GetDirectoryName(Path.GetFullPath(target))!;
        var createdFolder = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        var temp = DataCache.TempPathFor(target);
        var succeeded = false;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            timer.CancelAfter(timeout);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new DownloadException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var expectedLength = response.Content.Headers.ContentLength;
            // The catalogue's known size bounds the transfer: a server (or a man in the middle) cannot fill the disk.
            if (file.Size is { } known && expectedLength is { } declared && declared != known)
                throw new DownloadException($"the server announces {declared} bytes, the catalogue knows this file as {known} bytes");

            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var md5 = file.Md5 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            long received = 0;
            await using (var input = await response.Content.ReadAsStreamAsync(timer.Token).ConfigureAwait(false))
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                var buffer = new byte[BufferSize];
                while (true)
                {
                    timer.CancelAfter(timeout); // the timeout bounds each wait for data, not the whole transfer
                    var read = await input.ReadAsync(buffer, timer.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    if (file.Size is { } size && received + read > size)
                        throw new DownloadException($"more than the {size} bytes the catalogue knows for this file");
                    sha256.AppendData(buffer, 0, read);
                    md5?.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), timer.Token).ConfigureAwait(false);
                    received += read;
                }

                await output.FlushAsync(timer.Token).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            if (expectedLength is { } length && received != length)
                throw new DownloadException($"connection ended after {received} of {length} bytes");
            var verified = Verify(file, temp, Convert.ToHexStringLower(sha256.GetHashAndReset()), md5 is null ? null : Convert.ToHexStringLower(md5.GetHashAndReset()));
            File.Move(temp, target, overwrite: true);
            succeeded = true;
            return verified;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DownloadException($"timed out (no response or data for {timeout.TotalSeconds:0.#} s)", e);
        }
        catch (HttpRequestException e)
        {
            throw new DownloadException(Describe(e), e);
        }
        catch (IOException e)
        {
            throw new DownloadException($"transfer failed: {Describe(e)}", e);
        }
        finally
        {
            DataCache.TryDelete(temp);
            if (!succeeded && createdFolder) DataCache.TryDeleteEmptyFolder(folder);
        }
    }

    private static string Verify(DataFile file, string temp, string sha256, string? md5)
    {
        var checks = new List<string>();
        if (file.Sha256 is not null)
        {
            if (!Checksums.Same(file.Sha256, sha256)) throw new DownloadException($"SHA-256 mismatch: expected {file.Sha256}, got {sha256}");
            checks.Add("SHA-256");
        }

        if (file.Md5 is not null && md5 is not null)
        {
            if (!Checksums.Same(file.Md5, md5)) throw new DownloadException($"MD5 mismatch: expected {file.Md5}, got {md5}");
            checks.Add("MD5");
        }

        if (file.RawSha256 is not null)
        {
            string raw;
            try
            {
                raw = Checksums.RawSha256File(temp);
            }
            catch (DataFormatException e)
            {
                throw new DownloadException($"downloaded file is unreadable: {e.Message}", e);
            }

            if (!Checksums.Same(file.RawSha256, raw)) throw new DownloadException($"SHA-256 of decompressed content mismatch: expected {file.RawSha256}, got {raw}");
            checks.Add("SHA-256 of content");
        }

        return checks.Count > 0 ? $"verified {string.Join(" + ", checks)}" : $"no checksum known (SHA-256 {sha256}); contents checked by the reader only";
    }

    // The innermost message is usually the informative one ("Connection refused", "response ended prematurely").
    private static string Describe(Exception e)
    {
        var text = e.Message;
        for (var x = e.InnerException; x is not null; x = x.InnerException)
            if (!text.Contains(x.Message, StringComparison.Ordinal)) text += ": " + x.Message;
        return text;
    }
}
