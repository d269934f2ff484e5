using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Vdm.Evaluation;

/// <summary>
/// A small CNN that classifies a dataset's images; its penultimate layer (128 features) is the feature space of the
/// sample-quality metric (<see cref="SampleQuality"/>), as Inception's pool layer is FID's. Inception's weights are
/// not reachable here, and a classifier of the dataset itself reads digits better than one of natural photographs.
/// Three 3×3 convolutions (16, 32, 64 channels) with 2×2 max-pooling after the first two, then 128 features and a
/// linear layer to the classes: about 4.6 MFLOP per 28×28 image.
/// </summary>
public sealed class DatasetClassifier : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the feature layer.</summary>
    public const int FeatureCount = 128;

    private readonly Sequential body;
    private readonly Linear head;

    public DatasetClassifier(long[] imageShape, int numClasses, int vocab) : base(nameof(DatasetClassifier))
    {
        if (imageShape.Length != 3) throw new ArgumentException($"images must be [C, H, W], got [{string.Join(", ", imageShape)}]", nameof(imageShape));
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        ImageShape = imageShape;
        NumClasses = numClasses;
        Vocab = vocab;
        long h = imageShape[1] / 4, w = imageShape[2] / 4;
        body = nn.Sequential(
            nn.Conv2d(imageShape[0], 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * h * w, FeatureCount), nn.ReLU());
        head = nn.Linear(FeatureCount, numClasses);
        RegisterComponents();
    }

    public long[] ImageShape { get; }

    public int NumClasses { get; }

    public int Vocab { get; }

    /// <summary>Logits [B, K] for integer images [B, C, H, W] in 0..V−1.</summary>
    public override Tensor forward(Tensor images) => head.forward(Features(images));

    /// <summary>The 128 features [B, 128] the Fréchet distance compares.</summary>
    public Tensor Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images.to(float32) * (2.0 / (Vocab - 1)) - 1.0; // 0..V−1 → [−1, 1]
        return body.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Features and class probabilities of many images, in batches, without gradients.</summary>
    public (Tensor Features, Tensor Probabilities) Describe(Tensor images, int batchSize = 500)
    {
        using var noGrad = no_grad();
        bool wasTraining = training;
        eval();
        try
        {
            var features = new List<Tensor>();
            var probabilities = new List<Tensor>();
            using var scope = NewDisposeScope();
            var device = parameters().First().device;
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                // Batches move to the classifier's device; features and probabilities come back to the CPU.
                var batch = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device);
                var f = Features(batch);
                features.Add(f.cpu());
                probabilities.Add(nn.functional.softmax(head.forward(f), 1).cpu());
            }
            return (cat(features).MoveToOuterDisposeScope(), cat(probabilities).MoveToOuterDisposeScope());
        }
        finally
        {
            if (wasTraining) train();
        }
    }
}
