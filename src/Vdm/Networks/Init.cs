using TorchSharp;

namespace Vdm.Networks;

/// <summary>Initialisation helpers shared by the networks.</summary>
internal static class Init
{
    /// <summary>Sets a layer's weight and bias to zero, so that it outputs exactly 0 until trained
    /// (the VDM code zero-initialises the last layer of every residual branch and of the network).</summary>
    public static void Zero(torch.nn.Module module)
    {
        foreach (var (_, p) in module.named_parameters(recurse: false))
        {
            torch.nn.init.zeros_(p);
        }
    }
}
