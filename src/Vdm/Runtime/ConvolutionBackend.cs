using System.Runtime.InteropServices;
using TorchSharp;
using Vdm.Persistence;
using static TorchSharp.torch;

namespace Vdm.Runtime;

/// <summary>
/// libtorch computes 2-D convolutions on the CPU through oneDNN (mkldnn) where it can. On some CPUs the oneDNN 3.7.1
/// inside TorchSharp 0.107's libtorch computes the gradient with respect to the convolution's input wrongly: on an AMD
/// EPYC with AVX-512 BF16 (2026-11-30, docs/reliability.md) a 32→1-channel 3×3 convolution on 28×28 (the U-Nets'
/// output layer on MNIST) gave a backward-data result 50–100% off, or NaN, in every try, with oneDNN's AVX2 and
/// AVX-512 kernels alike, while the forward pass and the weight gradient were right. Every parameter below that layer
/// then learns from a wrong gradient. With oneDNN switched off libtorch uses its own convolution (im2col and GEMM),
/// which was right in all cases.
///
/// So before the first network is built, <see cref="EnsureCorrect"/> checks a few convolutions' backward pass against
/// an independent computation (unfold and matmul in float64) and switches oneDNN off when any disagrees. On CPUs where
/// oneDNN is right nothing changes. libtorch exposes the switch (Python's <c>torch.backends.mkldnn.enabled</c>) only in
/// C++, so it is called through its exported symbols; where they are missing the check still runs and reports it.
/// </summary>
public static class ConvolutionBackend
{
    private static readonly Lock Gate = new();
    private static ConvolutionCheck? result;

    /// <summary>The outcome of the first <see cref="EnsureCorrect"/> call in this process, or null before it.</summary>
    public static ConvolutionCheck? Result
    {
        get
        {
            lock (Gate) return result;
        }
    }

    /// <summary>
    /// Checks once per process that convolution gradients are right and switches oneDNN off if they are not.
    /// Later calls return the first result. Uses its own random generator, so the caller's random stream is untouched.
    /// </summary>
    public static ConvolutionCheck EnsureCorrect()
    {
        lock (Gate)
        {
            if (result is not null) return result;
            double error = Probe();
            bool wrong = !(error <= Tolerance);
            bool switchedOff = false;
            if (wrong && IsaCap is null) Remember(); // the next process tries oneDNN's SSE4.1 kernels instead
            if (wrong && OneDnn.TrySetEnabled(false))
            {
                switchedOff = true;
                double after = Probe();
                if (!(after <= Tolerance)) throw new InvalidOperationException($"convolution gradients are wrong on this CPU (relative error {after:g3}) even with oneDNN off");
            }
            result = new ConvolutionCheck(error, wrong, switchedOff);
            return result;
        }
    }

    /// <summary>
    /// oneDNN's kernels limited to SSE4.1 were right on the CPU where its AVX2 and AVX-512 ones were wrong, and train
    /// at 2.0 s per bench-default step there, against 4–5.6 s with oneDNN off (docs/performance.md). oneDNN reads
    /// the limit (<c>DNNL_MAX_CPU_ISA</c>) once, at its first use, so a process cannot switch to it after the probe
    /// found the default kernels wrong; instead the finding is recorded in the data cache for this CPU, and
    /// <see cref="ApplyRememberedIsaCap"/> sets the limit at the start of the next process, whose probe then checks
    /// the SSE4.1 kernels in turn (and switches oneDNN off if they are wrong too).
    /// </summary>
    public const string SafeIsa = "SSE41";

    /// <summary>The native DNNL_MAX_CPU_ISA of this process, or null when unset.</summary>
    public static string? IsaCap => Marshal.PtrToStringUTF8(getenv("DNNL_MAX_CPU_ISA"));

    /// <summary>Where the finding for this CPU is kept: the data cache's runtime folder.</summary>
    public static string RememberedPath(string? cacheRoot = null) =>
        Path.Combine(cacheRoot ?? Persistence.CacheRoot.Default(), "runtime", $"onednn-wrong-{CpuKey()}");

    /// <summary>
    /// Call before the first TorchSharp operation: when an earlier process found oneDNN's default kernels wrong on
    /// this CPU and DNNL_MAX_CPU_ISA is unset, limits oneDNN to <see cref="SafeIsa"/>. True when it set the limit.
    /// </summary>
    public static bool ApplyRememberedIsaCap(string? cacheRoot = null)
    {
        if (IsaCap is not null || !OperatingSystem.IsLinux() || !File.Exists(RememberedPath(cacheRoot))) return false;
        return setenv("DNNL_MAX_CPU_ISA", SafeIsa, 0) == 0;
    }

    private static void Remember()
    {
        try
        {
            var path = RememberedPath();
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"oneDNN's default convolution kernels gave wrong gradients on {CpuInfo.Model()}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache only costs speed: every process then runs with oneDNN off.
        }
    }

    /// <summary>A short hash of the CPU model and its feature flags (machines differ in both).</summary>
    private static string CpuKey()
    {
        var text = CpuInfo.Model() + "|" + string.Join(",", CpuInfo.Features());
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    [DllImport("libc")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>
    /// Largest relative error of float32 convolution gradients (input and weight) against unfold + matmul in float64,
    /// over the probe shapes. Float32 sums of a few hundred terms stay within ~1e-6 relative (measured: at most
    /// 4.8e-7 with correct kernels); the wrong kernels are off by 0.4 or more, or NaN.
    /// </summary>
    public static double Probe()
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var generator = new Generator(20261130);
        double worst = 0;
        // (in, out, size): the U-Nets' output layer on MNIST and small layers of the tests' tiny networks.
        foreach (var (cin, cout, size) in new[] { (32, 1, 28), (8, 1, 8), (8, 8, 8), (32, 3, 28) })
        {
            var x = randn([4, cin, size, size], generator: generator).requires_grad_(true);
            var w = randn([cout, cin, 3, 3], generator: generator).requires_grad_(true);
            var y = nn.functional.conv2d(x, w, padding: [1, 1]);
            var dy = randn(y.shape, generator: generator);
            y.backward([dy]);

            var x64 = x.detach().to(float64).requires_grad_(true);
            var w64 = w.detach().to(float64).requires_grad_(true);
            var columns = nn.functional.unfold(x64, 3, padding: 1);                  // [B, cin·9, size²]
            var y64 = matmul(w64.view(cout, -1), columns).view(4, cout, size, size);
            y64.backward([dy.to(float64)]);

            worst = Math.Max(worst, RelativeError(x.grad!, x64.grad!));
            worst = Math.Max(worst, RelativeError(w.grad!, w64.grad!));
            if (double.IsNaN(worst)) return double.NaN;
        }
        return worst;
    }

    /// <summary>Relative error above which the convolution backend counts as wrong (see <see cref="Probe"/>).</summary>
    public const double Tolerance = 1e-4;

    private static double RelativeError(Tensor actual, Tensor reference)
    {
        var scale = reference.abs().max().item<double>();
        return (actual.to(float64) - reference).abs().max().item<double>() / scale;
    }

    /// <summary>libtorch's global switch for oneDNN (at::Context::setUserEnabledMkldnn), through its C++ symbols.</summary>
    public static class OneDnn
    {
        /// <summary>Whether libtorch will use oneDNN for CPU operations, or null when the switch cannot be reached.</summary>
        public static bool? Enabled
        {
            get
            {
                var (context, _, get) = Symbols();
                if (context == IntPtr.Zero) return null;
                return Marshal.GetDelegateForFunctionPointer<GetFlag>(get)(context) != 0;
            }
        }

        /// <summary>Turns oneDNN on or off for this process; false when the switch cannot be reached.</summary>
        public static bool TrySetEnabled(bool enabled)
        {
            var (context, set, _) = Symbols();
            if (context == IntPtr.Zero) return false;
            Marshal.GetDelegateForFunctionPointer<SetFlag>(set)(context, enabled ? (byte)1 : (byte)0);
            return Enabled == enabled;
        }

        private static (IntPtr Context, IntPtr Set, IntPtr Get) Symbols()
        {
            // Itanium C++ ABI names: at::globalContext(), at::Context::setUserEnabledMkldnn(bool),
            // at::Context::userEnabledMkldnn() const. A member function takes `this` as its first argument.
            using (zeros(1)) { } // makes sure TorchSharp has loaded libtorch
            if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, null, out var library)) return default;
            if (!NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var global)
                || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb", out var set)
                || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledMkldnnEv", out var get))
                return default;
            return (Marshal.GetDelegateForFunctionPointer<GlobalContext>(global)(), set, get);
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GlobalContext();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void SetFlag(IntPtr context, byte enabled);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate byte GetFlag(IntPtr context);
    }
}

/// <summary>What <see cref="ConvolutionBackend.EnsureCorrect"/> found: the probe's relative error with oneDNN as it
/// was, whether that was wrong, and whether oneDNN was switched off as a result.</summary>
public sealed record ConvolutionCheck(double RelativeError, bool OneDnnWrong, bool OneDnnSwitchedOff)
{
    /// <summary>One line for logs and bench output: which convolution implementation runs, and why.</summary>
    public string Describe() => !OneDnnWrong
        ? ConvolutionBackend.IsaCap is { } isa ? $"oneDNN (kernels limited to {isa})" : "oneDNN"
        : OneDnnSwitchedOff
            ? $"libtorch im2col+GEMM (oneDNN's convolution gradients are wrong on this CPU: relative error {RelativeError:g3})"
            : $"oneDNN, WRONG on this CPU (relative error {RelativeError:g3}) and the switch to turn it off was not found";
}
