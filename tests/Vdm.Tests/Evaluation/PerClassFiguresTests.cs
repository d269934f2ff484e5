using Vdm.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Evaluation;

/// <summary>The per-class figures of a class-conditional model's samples, against a small table worked by hand.</summary>
public class PerClassFiguresTests
{
    [Fact]
    public void EachClassGetsItsCountConfidenceAndAgreementFromItsOwnRows()
    {
        using var scope = NewDisposeScope();
        // Three classes; rows labelled 0, 1, 2, 0, 1, 2 (as Draw's i mod 3).
        var probabilities = tensor(new double[,]
        {
            { 0.7, 0.2, 0.1 }, // meant 0, read 0 at 0.7
            { 0.1, 0.6, 0.3 }, // meant 1, read 1 at 0.6
            { 0.5, 0.1, 0.4 }, // meant 2, read 0 at 0.5
            { 0.2, 0.8, 0.0 }, // meant 0, read 1 at 0.8
            { 0.0, 0.9, 0.1 }, // meant 1, read 1 at 0.9
            { 0.1, 0.1, 0.8 }, // meant 2, read 2 at 0.8
        }).to(float32);
        var labels = SampleQuality.IntendedLabels(6, 3);
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2 }, labels.data<long>().ToArray());

        var figures = SampleQuality.PerClass(probabilities, labels, 3);

        Assert.Equal(3, figures.Length);
        Assert.All(figures, f => Assert.Equal(2, f.Count));
        Assert.Equal(0.75, figures[0].MeanConfidence, 6); // (0.7 + 0.8) / 2
        Assert.Equal(0.75, figures[1].MeanConfidence, 6); // (0.6 + 0.9) / 2
        Assert.Equal(0.65, figures[2].MeanConfidence, 6); // (0.5 + 0.8) / 2
        Assert.Equal(0.5, figures[0].Agreement, 12);
        Assert.Equal(1.0, figures[1].Agreement, 12);
        Assert.Equal(0.5, figures[2].Agreement, 12);
    }

    [Fact]
    public void AClassWithoutRowsIsNaNAndTheOverallAgreementWeighsClassesByTheirCounts()
    {
        using var scope = NewDisposeScope();
        var probabilities = tensor(new double[,] { { 0.9, 0.1, 0.0 }, { 0.6, 0.4, 0.0 }, { 0.3, 0.7, 0.0 } }).to(float32);
        var labels = tensor(new long[] { 0, 0, 1 });
        var figures = SampleQuality.PerClass(probabilities, labels, 3);
        Assert.Equal(0, figures[2].Count);
        Assert.True(double.IsNaN(figures[2].MeanConfidence) && double.IsNaN(figures[2].Agreement));

        // Two rows of class 0 (both read 0) and one of class 1 (read 1): all three agree. With class 1 misread the
        // overall share is 2/3, not the mean of the per-class shares (1/2).
        var misread = tensor(new double[,] { { 0.9, 0.1, 0.0 }, { 0.6, 0.4, 0.0 }, { 0.7, 0.3, 0.0 } }).to(float32);
        var perClass = SampleQuality.PerClass(misread, labels, 2);
        var zero = new QualityFigures(0, 0, 0, 0);
        var result = new SampleQualityResult(3, zero, zero, 1, 3)
        {
            PerClass = [new ClassReading(0, perClass[0], perClass[0]), new ClassReading(1, perClass[1], perClass[1])],
        };
        Assert.Equal(2.0 / 3, result.Agreement!.Value.Samples, 12);
        Assert.Null(new SampleQualityResult(3, zero, zero, 1, 3).Agreement);
    }
}
