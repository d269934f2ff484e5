namespace Vdm.Training;

/// <summary>
/// Linear warm-up to the peak, then constant or cosine decay to the minimum at the end of the run. The end is the last
/// step or, when the run has a wall-clock budget (<see cref="TrainConfig.Minutes"/>), whichever comes first: a run cut
/// short by its budget would otherwise stop at a high learning rate, part-way down a cosine laid over steps it never
/// takes (docs/main-job.md measures what that costs).
/// </summary>
public static class LearningRateSchedule
{
    /// <param name="decayFloor">The decay's progress in [0, 1] that the wall-clock budget has reached
    /// (<see cref="BudgetProgress"/>); the cosine follows whichever of it and the step count is further on.</param>
    public static double At(TrainConfig config, long step, double decayFloor = 0)
    {
        if (config.WarmupSteps > 0 && step < config.WarmupSteps)
            return config.LearningRate * (step + 1) / config.WarmupSteps;
        if (!config.CosineDecay) return config.LearningRate;
        double progress = Progress(config, step, decayFloor);
        return config.MinLearningRate + 0.5 * (config.LearningRate - config.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The decay's progress at <paramref name="step"/>: by the step count or by the budget
    /// (<paramref name="decayFloor"/>), whichever is further on.</summary>
    public static double Progress(TrainConfig config, long step, double decayFloor) =>
        Math.Max(StepProgress(config, step), Math.Clamp(decayFloor, 0, 1));

    /// <summary>The decay's progress at <paramref name="step"/> by the step count alone: 0 at the end of warm-up, 1 at the last step.</summary>
    public static double StepProgress(TrainConfig config, long step) =>
        config.Steps <= config.WarmupSteps ? 0 : Math.Clamp((double)(step - config.WarmupSteps) / (config.Steps - config.WarmupSteps), 0, 1);

    /// <summary>
    /// The decay's progress by the clock: an invocation that started at step progress <paramref name="startProgress"/>
    /// and has spent <paramref name="elapsedMinutes"/> of its <paramref name="budgetMinutes"/> is that share of the way
    /// from there to 1. Measured per invocation, as the budget is: a resumed run decays the rest of the way in its own budget.
    /// </summary>
    public static double BudgetProgress(double startProgress, double elapsedMinutes, double budgetMinutes)
    {
        if (budgetMinutes <= 0) return 0;
        double share = Math.Clamp(elapsedMinutes / budgetMinutes, 0, 1);
        startProgress = Math.Clamp(startProgress, 0, 1);
        return startProgress + (1 - startProgress) * share;
    }
}
