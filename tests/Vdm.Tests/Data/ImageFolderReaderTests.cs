using SkiaSharp;
using Vdm.Data;
using Vdm.Imaging;
using Xunit;

namespace Vdm.Tests.Data;

/// <summary>Folders of PNG/JPEG files: labels from class sub-folders, splits, crop and resize, bad files, the
/// memory-mapped cache beyond the in-memory limit, and the checksummed listing that refuses a changed folder.</summary>
public class ImageFolderReaderTests
{
    /// <summary>A w×h image whose pixel (x, y) has grey value (seed + 10 x + y) mod 256 (RGB: the same in every channel).</summary>
    internal static void WritePng(string path, int w, int h, int channels, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pixels = new byte[w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                    pixels[(y * w + x) * channels + c] = (byte)((seed + 10 * x + y) % 256);
        PngWriter.Write(path, new PngImage(w, h, channels, pixels));
    }

    internal static byte[] JpegBytes(int w, int h)
    {
        using var bitmap = new SKBitmap(w, h);
        bitmap.Erase(new SKColor(200, 40, 40));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>Two classes ("cats" 6 images, "dogs" 4 images) of 8×8 grey PNGs.</summary>
    internal static string ClassFolder(string root)
    {
        for (int i = 0; i < 6; i++) WritePng(Path.Combine(root, "cats", $"c{i}.png"), 8, 8, 1, i);
        for (int i = 0; i < 4; i++) WritePng(Path.Combine(root, "dogs", "nested", $"d{i}.png"), 8, 8, 1, 100 + i);
        return root;
    }

    private static DataOptions Options(TempFolder temp, List<string>? log = null) => new()
    {
        DataDir = temp.File("cache"),
        Progress = log is null ? null : new SyncProgress(log),
    };

    [Fact]
    public void Class_sub_folders_give_labels_and_a_seeded_fraction_is_held_out()
    {
        using var temp = new TempFolder();
        var folder = ClassFolder(temp.File("pets"));
        Assert.Equal(DatasetFormat.ImageFolder, DatasetCatalog.Resolve(folder).Format);

        using var train = DatasetResolver.Load(folder, "train", Options(temp));
        using var test = DatasetResolver.Load(folder, "test", Options(temp));
        Assert.Equal(9, train.Count); // 10 images, round(10 × 0.1) = 1 held out
        Assert.Equal(1, test.Count);
        Assert.Equal([1L, 8, 8], train.ExampleShape);
        Assert.Equal(2, train.NumClasses);
        Assert.Equal(6 + 4, train.LabelHistogram()!.Sum() + test.LabelHistogram()!.Sum());

        // The first training image is cats/c0.png unless it was held out; its pixels are exact.
        var listing = ImageFolderListing.Scan(folder, new ImageFolderConfig());
        var first = listing.Split("train").First();
        Assert.Equal("cats/", first.RelativePath[..5]);
        int seed = int.Parse(first.RelativePath[6..^4], System.Globalization.CultureInfo.InvariantCulture);
        using var image = train.Images[0].flatten();
        var bytes = image.data<byte>().ToArray();
        Assert.Equal((byte)(seed + 10 * 3 + 2), bytes[2 * 8 + 3]);

        // The same folder gives the same split every time; another seed a different one (over a few seeds).
        Assert.Equal(listing.Text, ImageFolderListing.Scan(folder, new ImageFolderConfig()).Text);
        Assert.Contains(Enumerable.Range(1, 5), s => ImageFolderListing.Scan(folder, new ImageFolderConfig { SplitSeed = s }).Sha256 != listing.Sha256);
    }

    [Fact]
    public void A_test_sub_folder_is_the_test_split()
    {
        using var temp = new TempFolder();
        var root = temp.File("digits");
        for (int i = 0; i < 3; i++) WritePng(Path.Combine(root, "train", "a", $"{i}.png"), 4, 4, 3, i);
        for (int i = 0; i < 2; i++) WritePng(Path.Combine(root, "train", "b", $"{i}.png"), 4, 4, 3, i);
        WritePng(Path.Combine(root, "test", "b", "x.png"), 4, 4, 3, 9);
        using var train = DatasetResolver.Load(root, "train", Options(temp));
        using var test = DatasetResolver.Load(root, "test", Options(temp));
        Assert.Equal(5, train.Count);
        Assert.Equal(1, test.Count);
        Assert.Equal([3L, 4, 4], test.ExampleShape); // channels as the first image stores them (RGB)
        Assert.Equal(1L, test.Labels![0].item<long>()); // "b" is class 1 in both splits
    }

    [Fact]
    public void Image_size_centre_crops_and_resizes_and_channels_convert()
    {
        using var temp = new TempFolder();
        var root = temp.File("wide");
        // 12×4 RGB: left and right thirds black, the centre 4×4 square white: the crop keeps only white.
        var pixels = new byte[12 * 4 * 3];
        for (int y = 0; y < 4; y++)
            for (int x = 4; x < 8; x++)
                for (int c = 0; c < 3; c++) pixels[(y * 12 + x) * 3 + c] = 255;
        Directory.CreateDirectory(root);
        PngWriter.Write(Path.Combine(root, "a.png"), new PngImage(12, 4, 3, pixels));
        File.WriteAllBytes(Path.Combine(root, "b.jpg"), JpegBytes(5, 7));
        var options = Options(temp) with { ImageFolder = new ImageFolderConfig { ImageSize = 2, Channels = 1, TestFraction = 0 } };
        using var train = DatasetResolver.Load(root, "train", options);
        Assert.Equal([2L, 1, 2, 2], train.Images.shape);
        Assert.All(train.Images[0].flatten().data<byte>().ToArray(), v => Assert.Equal(255, v));
        var red = train.Images[1].flatten().data<byte>().ToArray(); // (200, 40, 40) as grey: (299·200 + 587·40 + 114·40) / 1000 ≈ 88
        Assert.All(red, v => Assert.InRange(v, 80, 96));
    }

    [Fact]
    public void Bad_files_are_named_or_skipped_with_a_count()
    {
        using var temp = new TempFolder();
        var root = temp.File("mixed");
        for (int i = 0; i < 4; i++) WritePng(Path.Combine(root, $"ok{i}.png"), 6, 6, 1, i);
        var text = Path.Combine(root, "notes.png");
        File.WriteAllText(text, "this is not an image");
        var noTest = new ImageFolderConfig { TestFraction = 0 };

        var e = Assert.Throws<DataFormatException>(() => DatasetResolver.Load(root, "train", Options(temp) with { ImageFolder = noTest }));
        Assert.Equal(text, e.FileName);
        Assert.Contains("--skip-bad-images", e.Message);

        File.Delete(text);
        var jpeg = JpegBytes(6, 6);
        var truncated = Path.Combine(root, "cut.jpg");
        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length / 2)]);
        e = Assert.Throws<DataFormatException>(() => DatasetResolver.Load(root, "train", Options(temp) with { ImageFolder = noTest }));
        Assert.Equal(truncated, e.FileName);
        Assert.Contains("truncated", e.Message);

        var big = Path.Combine(root, "zz-big.png");
        WritePng(big, 9, 6, 1, 0);
        File.Delete(truncated);
        e = Assert.Throws<DataFormatException>(() => DatasetResolver.Load(root, "train", Options(temp) with { ImageFolder = noTest }));
        Assert.Equal(big, e.FileName);
        Assert.Contains("--image-size", e.Message);

        File.WriteAllBytes(truncated, jpeg[..(jpeg.Length / 2)]);
        var log = new List<string>();
        using var kept = DatasetResolver.Load(root, "train", Options(temp, log) with { ImageFolder = noTest with { SkipBadImages = true } });
        Assert.Equal(4, kept.Count);
        Assert.Contains(log, line => line.Contains("skipped 2 bad images", StringComparison.Ordinal) && line.Contains("cut.jpg", StringComparison.Ordinal));
    }

    [Fact]
    public void A_split_beyond_the_memory_limit_is_decoded_into_a_mapped_cache_file()
    {
        using var temp = new TempFolder();
        var folder = ClassFolder(temp.File("pets"));
        using var inMemory = DatasetResolver.Load(folder, "train", Options(temp));
        var log = new List<string>();
        using var mapped = DatasetResolver.Load(folder, "train", Options(temp, log) with { MaxInMemoryBytes = 100 });
        Assert.Contains("memory-mapped", mapped.Source);
        Assert.Single(Directory.GetFiles(temp.File("cache", "image-folders"), "*-train-1x8x8.u8"));
        Assert.True(inMemory.Images.equal(mapped.Images).all().item<bool>());
        Assert.True(inMemory.Labels!.equal(mapped.Labels!).all().item<bool>());
        using var batch = mapped.Take([0L, 8L]);
        Assert.Equal([2L, 1, 8, 8], batch.Images.shape);

        // The second load reuses the cache file instead of decoding again.
        log.Clear();
        using var again = DatasetResolver.Load(folder, "train", Options(temp, log) with { MaxInMemoryBytes = 100 });
        Assert.DoesNotContain(log, line => line.Contains("decoded", StringComparison.Ordinal));
        Assert.True(inMemory.Images.equal(again.Images).all().item<bool>());
    }

    [Fact]
    public void A_changed_folder_is_refused_naming_the_changed_file()
    {
        using var temp = new TempFolder();
        var folder = ClassFolder(temp.File("pets"));
        var (_, recorded) = ImageFolderReader.Resolve(folder, new ImageFolderConfig(), Options(temp));
        Assert.Equal(10, recorded.Files);
        Assert.Equal(1, recorded.Channels);
        using (DatasetResolver.Load(folder, "train", Options(temp) with { ImageFolder = recorded })) { }

        WritePng(Path.Combine(folder, "dogs", "nested", "d2.png"), 8, 8, 1, 77);
        var e = Assert.Throws<DataFormatException>(() => DatasetResolver.Load(folder, "train", Options(temp) with { ImageFolder = recorded }));
        Assert.Contains("changed", e.Message);
        Assert.Contains("dogs/nested/d2.png", e.Message);
        Assert.Equal(Path.GetFullPath(folder), e.FileName);
    }

    /// <summary>Progress that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
