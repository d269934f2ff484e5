using Vdm.Data;
using Xunit;

namespace Vdm.Tests.Data;

public class Cifar10ReaderTests
{
    [Fact]
    public void ReadsABatchInChwOrder()
    {
        var (images, labels) = Cifar10Reader.ReadBatch(new NamedContent("data_batch_1.bin", Synthetic.CifarBatch(3, 9, 0)));
        using (images)
        using (labels)
        {
            Assert.Equal(new long[] { 3, 3, 32, 32 }, images.shape);
            Assert.Equal(new long[] { 3, 9, 0 }, labels.data<long>().ToArray());
            // Record 1, channel 2 (blue), row 5, column 7 is byte 2*1024 + 5*32 + 7 of its pixels.
            Assert.Equal((byte)((1 + 2 * 1024 + 5 * 32 + 7) % 256), images[1, 2, 5, 7].item<byte>());
        }
    }

    [Fact]
    public void LoadsTheTestSplitFromAnExtractedFolderAndFromTheTarball()
    {
        using var temp = new TempFolder();
        var folder = temp.File(Cifar10Reader.ArchiveFolder);
        Directory.CreateDirectory(folder);
        var batch = Synthetic.CifarBatch(1, 2, 3, 4);
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), batch);
        using var fromFolder = Cifar10Reader.LoadFolder(folder, "test");
        Assert.Equal(4, fromFolder.Count);
        Assert.Equal(10, fromFolder.NumClasses);

        var tarball = temp.File("cifar-10-binary.tar.gz");
        Synthetic.TarGz(tarball, new Dictionary<string, byte[]>
        {
            ["cifar-10-batches-bin/batches.meta.txt"] = "airplane\n"u8.ToArray(),
            ["cifar-10-batches-bin/test_batch.bin"] = batch,
        });
        using var fromTarball = Cifar10Reader.LoadTarball(tarball, "test");
        Assert.True(fromTarball.Images.equal(fromFolder.Images).all().item<bool>());
        Assert.True(fromTarball.Labels!.equal(fromFolder.Labels!).all().item<bool>());
    }

    [Fact]
    public void TrainSplitConcatenatesFiveBatches()
    {
        using var temp = new TempFolder();
        for (var b = 1; b <= 5; b++) File.WriteAllBytes(temp.File($"data_batch_{b}.bin"), Synthetic.CifarBatch((byte)b, (byte)(b - 1)));
        using var train = Cifar10Reader.LoadFolder(temp.Path, "train");
        Assert.Equal(10, train.Count);
        Assert.Equal(new long[] { 1, 0, 2, 1, 3, 2, 4, 3, 5, 4 }, train.Labels!.data<long>().ToArray());
    }

    [Fact]
    public void LengthNotAMultipleOfTheRecordIsRejected()
    {
        var bytes = Synthetic.CifarBatch(1, 2)[..5000];
        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.ReadBatch(new NamedContent("data_batch_2.bin", bytes)));
        Assert.StartsWith("data_batch_2.bin:", e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.ReadBatch(new NamedContent("test_batch.bin", Synthetic.CifarBatch(1, 10))));
        Assert.StartsWith("test_batch.bin:", e.Message);
        Assert.Contains("record 1", e.Message);
        Assert.Contains("label 10", e.Message);
    }

    [Fact]
    public void TarballWithoutTheBatchNamesWhatIsMissing()
    {
        using var temp = new TempFolder();
        var tarball = temp.File("cifar-10-binary.tar.gz");
        Synthetic.TarGz(tarball, new Dictionary<string, byte[]> { ["cifar-10-batches-bin/data_batch_1.bin"] = Synthetic.CifarBatch(0) });
        var e = Assert.Throws<DataFormatException>(() => Cifar10Reader.LoadTarball(tarball, "test"));
        Assert.StartsWith("cifar-10-binary.tar.gz:", e.Message);
        Assert.Contains("test_batch.bin", e.Message);
    }
}
