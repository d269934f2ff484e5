using System.IO.Compression;

namespace Vdm.Data;

/// <summary>
/// Reads an EMNIST split from NIST's zip (<c>gzip.zip</c>), which holds
/// <c>gzip/emnist-&lt;split&gt;-{train,test}-{images-idx3,labels-idx1}-ubyte.gz</c>. The entries are read in memory;
/// images are transposed (EMNIST stores them transposed) and label offsets applied as the catalogue says.
/// </summary>
public static class EmnistZip
{
    /// <summary>File names of the IDX pair for an EMNIST variant (e.g. "balanced") and split, without ".gz".</summary>
    public static (string Images, string Labels) IdxNames(string variant, string split)
    {
        var token = SplitNames.Normalise(split) == SplitNames.Train ? "train" : "test";
        return ($"emnist-{variant}-{token}-images-idx3-ubyte", $"emnist-{variant}-{token}-labels-idx1-ubyte");
    }

    public static Dataset Load(string zipPath, string variant, string split, IdxOptions options, string name)
    {
        split = SplitNames.Normalise(split);
        var (imagesName, labelsName) = IdxNames(variant, split);
        var archive = Path.GetFileName(zipPath);
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            var images = ReadEntry(zip, imagesName, archive);
            var labels = ReadEntry(zip, labelsName, archive);
            return IdxReader.LoadDataset(images, labels, name, split, $"{zipPath}:{images.Name[(archive.Length + 1)..]}", options);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(archive, $"corrupt zip archive: {e.Message}", e);
        }
    }

    // Matches the entry by file name wherever it sits in the zip (gzip/… in NIST's layout), raw or .gz.
    private static NamedContent ReadEntry(ZipArchive zip, string baseName, string archive)
    {
        var entry = zip.Entries.FirstOrDefault(e => e.Name == baseName + ".gz") ?? zip.Entries.FirstOrDefault(e => e.Name == baseName);
        if (entry is null) throw new DataFormatException(archive, $"missing entry gzip/{baseName}.gz");
        using var stream = entry.Open();
        // The declared size may be damaged: start small and let the buffer grow with the data actually inflated.
        using var buffer = new MemoryStream((int)Math.Clamp(entry.Length, 0, 1 << 24));
        Compression.CopyCapped(stream, buffer, $"{archive}:{entry.FullName}");
        return new NamedContent($"{archive}:{entry.FullName}", buffer.ToArray());
    }
}
