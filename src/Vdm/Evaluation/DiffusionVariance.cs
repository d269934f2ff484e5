namespace Vdm.Evaluation;

/// <summary>
/// Mean and sample variance over examples of the diffusion-loss estimate in bits/dim (each example's value is the
/// mean over its time samples, at t ~ U(0, 1)), and the variance of the whole bound's estimate: the variance a learned
/// schedule's shape can lower without changing the continuous-time bound (VDM Appendix I.2).
/// </summary>
public sealed record DiffusionVariance(double Mean, double Variance, double TotalVariance, int Examples)
{
    public double StdDev => Math.Sqrt(Variance);

    public static DiffusionVariance Of(ExampleBounds bounds)
    {
        if (bounds.Diffusion.Length == 0) throw new ArgumentException("no examples to take the variance of");
        return new DiffusionVariance(bounds.Diffusion.Average(), SampleVariance(bounds.Diffusion), SampleVariance(bounds.Total), bounds.Diffusion.Length);
    }

    private static double SampleVariance(double[] values)
    {
        double mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Length - 1);
    }
}
