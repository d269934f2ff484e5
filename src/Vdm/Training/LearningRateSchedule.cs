namespace Vdm.Training;

/// <summary>Linear warm-up to the peak, then constant or cosine decay to the minimum at the last step.</summary>
public static class LearningRateSchedule
{
    public static double At(TrainConfig config, long step)
    {
        if (config.WarmupSteps > 0 && step < config.WarmupSteps)
            return config.LearningRate * (step + 1) / config.WarmupSteps;
        if (!config.CosineDecay || config.Steps <= config.WarmupSteps) return config.LearningRate;
        double progress = Math.Clamp((double)(step - config.WarmupSteps) / (config.Steps - config.WarmupSteps), 0, 1);
        return config.MinLearningRate + 0.5 * (config.LearningRate - config.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }
}
