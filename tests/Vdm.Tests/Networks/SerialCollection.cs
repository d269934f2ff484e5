using Xunit;

namespace Vdm.Tests.Networks;

/// <summary>
/// The network tests seed TorchSharp's global generator (<c>torch.manual_seed</c>), which parameter initialisation
/// also draws from; run them alone so that tests in other classes cannot interleave draws.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "TorchSharp global RNG (networks)";
}
