using Vdm.Networks;
using Vdm.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Runtime;

/// <summary>
/// The convolutions every U-Net uses must have right gradients on whatever CPU runs them. On a CPU where oneDNN's
/// backward-data kernels are wrong (docs/reliability.md) these tests fail unless <see cref="ConvolutionBackend"/>
/// has switched oneDNN off; elsewhere they check that the probe finds nothing and changes nothing.
/// </summary>
public class ConvolutionBackendTests
{
    [Fact]
    public void BuildingANetworkChecksTheConvolutionsFirst()
    {
        using var net = DenoiserFactory.Create(new ModelConfig { Network = NetworkKind.Mlp, DataShape = [2] });
        Assert.NotNull(ConvolutionBackend.Result);
    }

    [Fact]
    public void AfterTheCheckConvolutionGradientsMatchUnfoldAndMatmul()
    {
        var check = ConvolutionBackend.EnsureCorrect();
        double error = ConvolutionBackend.Probe();
        Assert.True(error <= ConvolutionBackend.Tolerance, $"relative error {error:g3} after the check ({check.Describe()})");
    }

    [Fact]
    public void OneDnnIsOffExactlyWhenTheCheckFoundItWrong()
    {
        var check = ConvolutionBackend.EnsureCorrect();
        var enabled = ConvolutionBackend.OneDnn.Enabled;
        Assert.NotNull(enabled); // the C++ switch is reachable in the libtorch TorchSharp ships
        Assert.Equal(!check.OneDnnSwitchedOff, enabled);
        Assert.Equal(check.OneDnnWrong, check.OneDnnSwitchedOff);
    }

    [Fact]
    public void TheProbeDoesNotTouchTheGlobalRandomStream()
    {
        manual_seed(7);
        using var expected = randn(5);
        manual_seed(7);
        ConvolutionBackend.Probe();
        using var actual = randn(5);
        Assert.True(expected.Equals(actual));
    }
}

/// <summary>The remembered finding: a later process limits oneDNN to SSE4.1 before its first use.</summary>
public class RememberedIsaCapTests
{
    [Fact]
    public void TheCapIsSetOnlyWhenThisCpuWasFoundWrongAndNoCapIsSetAlready()
    {
        using var temp = new Vdm.Tests.Data.TempFolder();
        var before = ConvolutionBackend.IsaCap;
        Assert.False(ConvolutionBackend.ApplyRememberedIsaCap(temp.Path)); // nothing remembered for this CPU
        Assert.Equal(before, ConvolutionBackend.IsaCap);

        var path = ConvolutionBackend.RememberedPath(temp.Path);
        Assert.StartsWith(Path.Combine(temp.Path, "runtime"), path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "found wrong\n");
        try
        {
            Assert.Equal(before is null, ConvolutionBackend.ApplyRememberedIsaCap(temp.Path));
            Assert.Equal(before ?? ConvolutionBackend.SafeIsa, ConvolutionBackend.IsaCap); // an existing setting wins
        }
        finally
        {
            if (before is null) unsetenv("DNNL_MAX_CPU_ISA");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int unsetenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);
}
