using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>Builds the model a <see cref="RunConfig"/> describes, with weights initialised from its seed.</summary>
public static class ModelFactory
{
    public static VariationalDiffusionModel Build(RunConfig config)
    {
        config.Validate();
        manual_seed(config.Train.Seed);
        var schedule = NoiseSchedule.Create(config.Schedule);
        var network = DenoiserFactory.Create(config.Model with
        {
            GammaMin = config.Schedule.GammaMin,
            GammaMax = config.Schedule.GammaMax,
        });
        return new VariationalDiffusionModel(schedule, network, config.Diffusion);
    }
}
