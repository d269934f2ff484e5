using Vdm.Imaging;
using Vdm.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Imaging;

public class SaveEachTests
{
    [Fact]
    public void Shards_numbered_by_global_index_fill_one_folder_without_collisions()
    {
        using var temp = new TempFolder();
        using var scope = NewDisposeScope();
        var first = arange(3 * 2 * 2 * 3, ScalarType.Int64).reshape(3, 3, 2, 2).to(ScalarType.Byte);
        var second = (first + 100).to(ScalarType.Byte);
        SampleImages.SaveEach(temp.Path, first, firstIndex: 0);
        SampleImages.SaveEach(temp.Path, second, firstIndex: 3);
        var names = Directory.GetFiles(temp.Path).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"sample-{i:D6}.png").ToArray(), names);
        var fourth = ImageTensors.ToTensor(PngReader.Read(Path.Combine(temp.Path, "sample-000004.png")));
        Assert.True(fourth.equal(second[1]).all().item<bool>());

        // Levels of a smaller vocabulary span 0..255 in the files.
        var binary = tensor(new byte[] { 0, 1, 1, 0 }).reshape(1, 1, 2, 2);
        var path = SampleImages.SaveEach(temp.Path, binary, firstIndex: 9, vocab: 2).Single();
        Assert.Equal([0, 255, 255, 0], PngReader.Read(path).Pixels);
    }
}
