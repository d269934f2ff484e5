using Vdm.Diffusion;
using static TorchSharp.torch;

namespace Vdm.Sampling;

/// <summary>The loop the samplers share: z_1 ~ N(0, I), T steps t → s = t − 1/T, then decode z_0 with p(x | z_0).</summary>
internal static class SamplingLoop
{
    internal delegate Tensor StepFunction(VariationalDiffusionModel model, Tensor z, Tensor gammaT, Tensor gammaS, Tensor epsHat, SampleNoise noise);

    internal static Tensor Run(VariationalDiffusionModel model, long[] dataShape, int count, SamplerOptions options,
        Tensor? labels, SamplerObserver? observer, StepFunction step)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "sampler steps must be at least 1");
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "need at least one sample");
        if (labels is not null && labels.shape[0] != count) throw new ArgumentException($"{labels.shape[0]} labels for {count} samples");
        using var noGrad = no_grad();
        using var noise = new SampleNoise(options.Seed, options.FirstIndex, count);
        var dtype = model.DType;
        var device = model.Device;
        var z = noise.Next(dataShape, dtype, device);
        using var onDevice = labels?.to(device);
        labels = onDevice;
        for (int i = options.Steps; i >= 1; i--)
        {
            using var scope = NewDisposeScope();
            var t = full(count, (double)i / options.Steps, dtype, device);
            var s = full(count, (double)(i - 1) / options.Steps, dtype, device);
            var gammaT = model.Schedule.forward(t);
            var gammaS = model.Schedule.forward(s);
            var epsHat = model.GuidedEpsHat(z, gammaT, labels, options.GuidanceScale, options.NumClasses);
            if (options.ClipDenoised) epsHat = Parameterization.ClipToData(epsHat, z, gammaT);
            var next = step(model, z, gammaT, gammaS, epsHat, noise).MoveToOuterDisposeScope();
            z.Dispose();
            z = next;
            observer?.Invoke(options.Steps - i + 1, (double)(i - 1) / options.Steps, z);
        }

        using (z)
        {
            using var scope = NewDisposeScope();
            var gamma0 = model.Schedule.forward(zeros(count, dtype, device));
            if (!options.SampleDecoder) return CategoricalDecoder.Decode(z, gamma0, model.Config.Vocab).MoveToOuterDisposeScope();
            // Each sample decodes with its own generator, so results do not depend on the batch.
            var rows = Enumerable.Range(0, count)
                .Select(i => CategoricalDecoder.Decode(z[i].unsqueeze(0), gamma0[i].unsqueeze(0), model.Config.Vocab, true, noise[i]))
                .ToArray();
            return cat(rows).MoveToOuterDisposeScope();
        }
    }
}
