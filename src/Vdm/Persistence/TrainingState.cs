using System.Text.Json;
using Vdm.Training;

namespace Vdm.Persistence;

/// <summary>
/// What a run had done when its checkpoint was written, apart from tensors. Stored as JSON (checkpoint format 3),
/// so a new field is one property here: older files read it as its default.
/// </summary>
public sealed record TrainingState
{
    /// <summary>Optimiser steps taken.</summary>
    public long Step { get; init; }

    /// <summary>Steps skipped so far because the loss or a gradient was not finite.</summary>
    public long NonFiniteTotal { get; init; }

    /// <summary>Updates of the EMA (its warm-up decay depends on them: <see cref="Ema.EffectiveDecay"/>).</summary>
    public long EmaUpdates { get; init; }

    public static TrainingState Of(Trainer trainer) => new()
    {
        Step = trainer.Step,
        NonFiniteTotal = trainer.NonFiniteTotal,
        EmaUpdates = trainer.Ema.Updates,
    };

    public void ApplyTo(Trainer trainer)
    {
        trainer.Step = Step;
        trainer.NonFiniteTotal = NonFiniteTotal;
        trainer.Ema.Updates = EmaUpdates;
    }

    public string ToJson() => JsonSerializer.Serialize(this, RunConfig.JsonOptions);

    public static TrainingState FromJson(string json)
    {
        var state = JsonSerializer.Deserialize<TrainingState>(json, RunConfig.JsonOptions) ?? throw new FormatException("empty training state");
        if (state.Step < 0 || state.NonFiniteTotal < 0 || state.EmaUpdates < 0)
            throw new FormatException($"negative count in the training state {json}");
        return state;
    }
}
