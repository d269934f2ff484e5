using TorchSharp;
using Vdm.Data;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Data;

public class DatasetTests
{
    private static Dataset Numbered(int n)
    {
        // Example i is the vector [i, i] so a batch shows which rows it holds; label i mod 3.
        var images = arange(n, ScalarType.Int64).unsqueeze(1).expand(n, 2).to_type(ScalarType.Byte);
        var labels = arange(n, ScalarType.Int64) % 3;
        return new Dataset(images, labels, numClasses: 3, vocab: 256, "numbered", "train", "test");
    }

    [Fact]
    public void TakeReturnsTheRequestedRows()
    {
        using var dataset = Numbered(10);
        using var batch = dataset.Take([7, 2, 2]);
        Assert.Equal(new long[] { 3, 2 }, batch.Images.shape);
        Assert.Equal(new byte[] { 7, 7, 2, 2, 2, 2 }, batch.Images.data<byte>().ToArray());
        Assert.Equal(new long[] { 1, 2, 2 }, batch.Labels!.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Take([10]));
    }

    [Fact]
    public void EpochVisitsEveryExampleOnceInASeededOrder()
    {
        using var dataset = Numbered(10);
        List<long> Order(ulong seed)
        {
            using var generator = new Generator(seed);
            var order = new List<long>();
            foreach (var batch in dataset.Epoch(4, generator))
                using (batch)
                    order.AddRange(batch.Indices.data<long>().ToArray());
            return order;
        }

        var first = Order(7);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), first.Order());
        Assert.Equal(first, Order(7));
        Assert.NotEqual(first, Order(8));
    }

    [Fact]
    public void RandomBatchesAreFullAndReshuffleEachEpoch()
    {
        using var dataset = Numbered(10);
        using var generator = new Generator(3);
        var batches = dataset.RandomBatches(4, generator).Take(6).ToList();
        try
        {
            Assert.All(batches, b => Assert.Equal(4, b.Size));
            // 10 examples, batches of 4: two per epoch, so batches 0–1, 2–3 and 4–5 each come from one permutation.
            for (var epoch = 0; epoch < 3; epoch++)
            {
                var seen = batches.Skip(2 * epoch).Take(2).SelectMany(b => b.Indices.data<long>().ToArray()).ToList();
                Assert.Equal(8, seen.Distinct().Count());
            }

            var orders = Enumerable.Range(0, 3).Select(e => string.Join(",", batches.Skip(2 * e).Take(2).SelectMany(b => b.Indices.data<long>().ToArray()))).ToList();
            Assert.True(orders.Distinct().Count() > 1, "every epoch had the same order");
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void RejectsInconsistentTensors()
    {
        using var images = zeros(4, 2, ScalarType.Byte);
        using var shortLabels = zeros(3, ScalarType.Int64);
        using var floats = zeros(4, 2);
        Assert.Throws<ArgumentException>(() => new Dataset(floats, null, 0, 256, "x", "train", "t"));
        Assert.Throws<ArgumentException>(() => new Dataset(images, shortLabels, 2, 256, "x", "train", "t"));
        using var big = full(4, 2, 9, ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => new Dataset(big, null, 0, vocab: 8, "x", "train", "t"));
    }

    [Fact]
    public void HistogramAndHead()
    {
        using var dataset = Numbered(10);
        Assert.Equal(new long[] { 4, 3, 3 }, dataset.LabelHistogram());
        using var head = dataset.Head(4);
        Assert.Equal(4, head.Count);
        Assert.Equal(new long[] { 2 }, head.ExampleShape);
    }
}
