// Micro-benchmarks behind docs/performance.md: dotnet run -c Release --project bench/micro -- sdpa|conv|cl|bf16|drop|elem
// (THREADS=n sets libtorch threads; default 2). Medians of 5 after 2 warm-ups.
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

int threads = int.Parse(Environment.GetEnvironmentVariable("THREADS") ?? "2");
set_num_threads(threads);
var mode = args[0];
double Time(Action a, int reps = 5)
{
    a(); a();
    var t = new List<double>();
    for (int i = 0; i < reps; i++) { var w = Stopwatch.StartNew(); a(); t.Add(w.Elapsed.TotalMilliseconds); }
    t.Sort(); return t[t.Count / 2];
}
long B = 32, C = 32, H = 28, N = 784;
switch (mode)
{
    case "sdpa":
        {
            var x = randn(B, 3 * C, H, H);
            foreach (var contiguous in new[] { false, true })
                foreach (var grad in new[] { false, true })
                {
                    var ms = Time(() =>
                    {
                        using var scope = NewDisposeScope();
                        var xx = x.detach().requires_grad_(grad);
                        var parts = xx.reshape(B, 3, 1, C, N).permute(1, 0, 2, 4, 3).unbind(0);
                        Tensor q = parts[0], k = parts[1], v = parts[2];
                        if (contiguous) { q = q.contiguous(); k = k.contiguous(); v = v.contiguous(); }
                        var o = nn.functional.scaled_dot_product_attention(q, k, v);
                        if (grad) o.sum().backward();
                    });
                    Console.WriteLine($"sdpa contiguous={contiguous} grad={grad}: {ms:F1} ms");
                }
            break;
        }
    case "conv":
        {
            var conv = nn.Conv2d(C, C, 3, padding: 1);
            var x = randn(B, C, H, H);
            Console.WriteLine($"conv fwd nograd: {Time(() => { using var s = NewDisposeScope(); using var ng = no_grad(); conv.forward(x); }):F1} ms");
            Console.WriteLine($"conv fwd+bwd: {Time(() => { using var s = NewDisposeScope(); var xx = x.detach().requires_grad_(true); conv.forward(xx).sum().backward(); }):F1} ms");
            // channels last
            var xcl = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            Console.WriteLine($"conv fwd nograd CL input: {Time(() => { using var s = NewDisposeScope(); using var ng = no_grad(); conv.forward(xcl); }):F1} ms");
            var mm = Time(() => { using var s = NewDisposeScope(); var a = randn(2048, 2048); var b = randn(2048, 2048); a.mm(b); });
            Console.WriteLine($"2048 mm incl randn: {mm:F1} ms");
            break;
        }
    case "cl":
        {
            var conv = nn.Conv2d(C, C, 3, padding: 1);
            var x = randn(B, C, H, H);
            var xcl = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            var wcl = conv.weight!.detach().permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            var w = conv.weight!.detach().clone();
            var bias = conv.bias!.detach().clone();
            for (int round = 0; round < 3; round++)
            {
                var a = Time(() => { using var s = NewDisposeScope(); var xx = x.detach().requires_grad_(true); var ww = w.detach().requires_grad_(true); nn.functional.conv2d(xx, ww, bias, padding: [1, 1]).sum().backward(); });
                var b = Time(() => { using var s = NewDisposeScope(); var xx = xcl.detach().requires_grad_(true); var ww = wcl.detach().requires_grad_(true); nn.functional.conv2d(xx, ww, bias, padding: [1, 1]).sum().backward(); });
                Console.WriteLine($"conv fwd+bwd NCHW {a:F1} ms, channels-last {b:F1} ms");
            }
            break;
        }
    case "bf16":
        {
            var x = randn(B, C, H, H);
            var w = randn(C, C, 3, 3);
            var xb = x.to(ScalarType.BFloat16); var wb = w.to(ScalarType.BFloat16);
            for (int round = 0; round < 2; round++)
            {
                var a = Time(() => { using var s = NewDisposeScope(); using var ng = no_grad(); nn.functional.conv2d(x, w, padding: [1, 1]); });
                var b = Time(() => { using var s = NewDisposeScope(); using var ng = no_grad(); nn.functional.conv2d(xb, wb, padding: [1, 1]); });
                var m1 = randn(1024, 1024); var m2 = m1.to(ScalarType.BFloat16);
                var c = Time(() => { using var s = NewDisposeScope(); m1.mm(m1); });
                var d = Time(() => { using var s = NewDisposeScope(); m2.mm(m2); });
                Console.WriteLine($"conv fwd fp32 {a:F1} ms, bf16 {b:F1} ms; mm1024 fp32 {c:F1} ms, bf16 {d:F1} ms");
            }
            break;
        }
    case "drop":
        {
            var x = randn(B, C, H, H);
            for (int round = 0; round < 3; round++)
            {
                var a = Time(() => { using var s = NewDisposeScope(); var xx = x.detach().requires_grad_(true); nn.functional.dropout(xx, 0.1, true).sum().backward(); });
                var b = Time(() => { using var s = NewDisposeScope(); var xx = x.detach().requires_grad_(true); var keep = rand_like(x).ge_(0.1).to(ScalarType.Float32).mul_(1 / 0.9); (xx * keep).sum().backward(); });
                Console.WriteLine($"dropout fwd+bwd bernoulli {a:F1} ms, rand>=p mask {b:F1} ms");
            }
            break;
        }
    case "elem":
        {
            var x = randn(B, C, H, H);
            var gn = nn.GroupNorm(8, C);
            Console.WriteLine($"silu: {Time(() => { using var s = NewDisposeScope(); nn.functional.silu(x); }):F2} ms");
            Console.WriteLine($"add: {Time(() => { using var s = NewDisposeScope(); var y = x + x; }):F2} ms");
            Console.WriteLine($"groupnorm: {Time(() => { using var s = NewDisposeScope(); gn.forward(x); }):F2} ms");
            Console.WriteLine($"dropout: {Time(() => { using var s = NewDisposeScope(); nn.functional.dropout(x, 0.1, true); }):F2} ms");
            Console.WriteLine($"rand_like: {Time(() => { using var s = NewDisposeScope(); rand_like(x); }):F2} ms");
            Console.WriteLine($"tiny add x1000: {Time(() => { using var s = NewDisposeScope(); var t = ones(1); for (int i = 0; i < 1000; i++) { using var u = t + t; } }):F2} ms");
            break;
        }
}
