namespace Vdm.Imaging;

/// <summary>
/// Values logged at one training step, by series name (e.g. "bpd", "recon", "prior", "diffusion", "test bpd").
/// A series may be missing at some steps (test bits/dim is evaluated less often); NaN values are skipped.
/// </summary>
public sealed record LossRecord(long Step, IReadOnlyDictionary<string, double> Values);
