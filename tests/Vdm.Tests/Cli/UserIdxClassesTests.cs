using Vdm.Data;
using Vdm.Tests.Data;
using Xunit;

namespace Vdm.Tests.Cli;

/// <summary>
/// A user's IDX folder: a stray label (255 among 0..3) must not make a 256-class model. classes.txt declares the
/// count and labels at or above it are refused; without it the inferred count must be backed by every label 0..K−1.
/// </summary>
public class UserIdxClassesTests
{
    private static string Folder(CliTemp temp, byte[] trainLabels, string? classes = null)
    {
        var folder = temp.Sub("data");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "train-images-idx3-ubyte"), Synthetic.IdxImages(trainLabels.Length, 8, 8));
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), Synthetic.IdxLabels(trainLabels));
        if (classes is not null) File.WriteAllText(Path.Combine(folder, IdxReader.ClassesFileName), classes);
        return folder;
    }

    private static Dataset Load(string folder) =>
        DataLocator.Locate(DatasetCatalog.ForIdxFolder(folder), SplitNames.Train, folder, out var reason)?.Load()
            ?? throw new InvalidOperationException(reason);

    [Fact]
    public void A_label_outside_the_classes_txt_count_is_refused_naming_the_label_file()
    {
        using var temp = new CliTemp();
        var folder = Folder(temp, [0, 1, 2, 3, 255], "zero\none\ntwo\n\nthree\n");
        var error = Assert.Throws<DataFormatException>(() => Load(folder));
        Assert.EndsWith("train-labels-idx1-ubyte", error.FileName);
        Assert.Contains("label 255", error.Problem);
        Assert.Contains(IdxReader.ClassesFileName, error.Problem);
    }

    [Fact]
    public void Classes_txt_sets_the_count_even_when_the_labels_use_fewer()
    {
        using var temp = new CliTemp();
        using var dataset = Load(Folder(temp, [0, 1, 1, 0], "a\nb\nc\n"));
        Assert.Equal(3, dataset.NumClasses);
    }

    [Fact]
    public void Without_classes_txt_labels_that_skip_values_are_refused()
    {
        using var temp = new CliTemp();
        var error = Assert.Throws<DataFormatException>(() => Load(Folder(temp, [0, 1, 2, 3, 255])));
        Assert.EndsWith("train-labels-idx1-ubyte", error.FileName);
        Assert.Contains("5 distinct labels, largest 255", error.Problem);
    }

    [Fact]
    public void Without_classes_txt_contiguous_labels_still_infer_the_count()
    {
        using var temp = new CliTemp();
        using var dataset = Load(Folder(temp, [0, 1, 2, 3, 2, 1]));
        Assert.Equal(4, dataset.NumClasses);
    }

    [Fact]
    public async Task Train_refuses_a_stray_label_beyond_classes_txt_with_exit_2()
    {
        using var temp = new CliTemp();
        var folder = Folder(temp, [0, 1, 2, 3, 255], "a\nb\nc\nd\n");
        var run = temp.Sub("run");
        var result = await CliHarness.Run("train", "--preset", "tiny", "--dataset", folder, "--run", run, "--steps", "1", "--batch-size", "4");
        result.AssertUsageError("train-labels-idx1-ubyte", "label 255");
        Assert.False(File.Exists(Path.Combine(run, "config.json")));
    }

    [Fact]
    public async Task Train_refuses_inferred_labels_that_skip_values_with_exit_2()
    {
        using var temp = new CliTemp();
        var folder = Folder(temp, [0, 1, 2, 3, 255]);
        var run = temp.Sub("run");
        var result = await CliHarness.Run("train", "--preset", "tiny", "--dataset", folder, "--run", run, "--steps", "1", "--batch-size", "4",
            "--class-conditional");
        result.AssertUsageError("train-labels-idx1-ubyte", "skip values", IdxReader.ClassesFileName);
        Assert.False(File.Exists(Path.Combine(run, "config.json")));
    }
}
