using TorchSharp;
using Vdm.Diffusion;
using Vdm.Networks;
using Vdm.Schedules;
using static TorchSharp.torch;

namespace Vdm.Training;

/// <summary>Builds the model a <see cref="RunConfig"/> describes, with weights initialised from its seed.</summary>
public static class ModelFactory
{
    /// <param name="device">Where the model lives (default: the CPU). The weights are initialised on the CPU and then
    /// moved, so a seed gives the same weights on every device.</param>
    public static VariationalDiffusionModel Build(RunConfig config, Device? device = null)
    {
        config.Validate();
        manual_seed(config.Train.Seed);
        var schedule = NoiseSchedule.Create(config.Schedule);
        var network = DenoiserFactory.Create(config.Model with
        {
            GammaMin = config.Schedule.GammaMin,
            GammaMax = config.Schedule.GammaMax,
        });
        var model = new VariationalDiffusionModel(schedule, network, config.Diffusion);
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        return model;
    }
}
