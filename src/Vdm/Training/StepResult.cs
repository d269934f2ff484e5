using Vdm.Diffusion;

namespace Vdm.Training;

/// <summary>What one training step measured (bits/dim per term, the gradient norm before clipping, the learning rate).</summary>
public sealed record StepResult(long Step, LossSummary Loss, double GradNorm, double LearningRate, bool Skipped);
