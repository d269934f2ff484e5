using TorchSharp;
using Vdm.Diffusion;
using Vdm.Schedules;
using Vdm.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vdm.Tests.Schedules;

/// <summary>
/// The learned endpoints γ_0 = γ(0) and γ_1 = γ(1) must receive the bound's gradient: the reconstruction term
/// depends on γ_0, the prior term on γ_1 (VDM §3.3; Appendix I.2: the endpoints set the continuous-time bound).
/// With every random draw fixed (one seed per evaluation), each term is a smooth function of the schedule's
/// parameters, so its autograd gradient must equal a central finite difference; the prior's also has a closed form.
/// </summary>
public class ScheduleGradientTests(ITestOutputHelper output)
{
    private const double H = 1e-4;

    public static TheoryData<ScheduleKind> LearnedKinds => new() { ScheduleKind.LearnedScalar, ScheduleKind.MonotoneNet };

    private static VariationalDiffusionModel Model(ScheduleKind kind, KPointData data)
    {
        var schedule = NoiseSchedule.Create(new ScheduleConfig { Kind = kind, Features = 16 });
        var model = new VariationalDiffusionModel(schedule, new KPointOracle(data.Encoded()), new DiffusionConfig { Vocab = 256 });
        model.to(ScalarType.Float64);
        return model;
    }

    /// <summary>Batch means of (recon, prior, diffusion, total) in nats with every draw fixed by the seed.</summary>
    private static Tensor[] Terms(VariationalDiffusionModel model, Tensor x)
    {
        using var generator = new Generator(13);
        using var terms = model.Loss(x, generator: generator);
        return [terms.Recon.mean(), terms.Prior.mean(), terms.Diffusion.mean(), terms.Total().mean()];
    }

    [Theory]
    [MemberData(nameof(LearnedKinds))]
    public void EndpointParametersGetTheFiniteDifferenceGradientOfEveryTerm(ScheduleKind kind)
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(kind, data);
        using var batches = new Generator(2);
        var x = data.Batch(16, batches).X;
        var endpoints = model.Schedule.named_parameters().Where(p => p.name is "bias" or "weight").ToArray();
        Assert.Equal(2, endpoints.Length);

        string[] names = ["recon", "prior", "diffusion", "bound"];
        foreach (var (name, parameter) in endpoints)
        {
            for (int term = 0; term < names.Length; term++)
            {
                using var termScope = NewDisposeScope();
                model.zero_grad();
                Terms(model, x)[term].backward();
                double autograd = parameter.grad is null ? 0 : parameter.grad.item<double>();
                double fd;
                using (no_grad())
                {
                    parameter.add_(H);
                    double up = Terms(model, x)[term].item<double>();
                    parameter.sub_(2 * H);
                    double down = Terms(model, x)[term].item<double>();
                    parameter.add_(H);
                    fd = (up - down) / (2 * H);
                }
                output.WriteLine($"{kind} {name}, {names[term]}: autograd {autograd:E6}, finite difference {fd:E6}");
                // Central difference: truncation (H²/6)·|L'''| = 1.7e-9·|L'''| and rounding 1e-16·|L|/H ≤ 1e-16·1e3/1e-4 = 1e-9
                // (terms ≤ 1e3 nats). Measured agreement: ≤ 2e-7 relative (the reconstruction term curves faster than the
                // others); the bound is 1e-6 relative + 1e-7 absolute. A term cut off from the parameter has autograd 0
                // against a finite difference ≥ 8e-3 (the prior's, the smallest here).
                Assert.True(Math.Abs(autograd - fd) < 1e-6 * Math.Abs(fd) + 1e-7,
                    $"{kind}: d({names[term]})/d({name}) autograd {autograd} ≠ finite difference {fd}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LearnedKinds))]
    public void PriorGradientIsTheClosedForm(ScheduleKind kind)
    {
        using var scope = NewDisposeScope();
        using var data = new KPointData(k: 4, shape: [8], vocab: 256, seed: 6);
        using var model = Model(kind, data);
        using var batches = new Generator(2);
        var x = data.Batch(16, batches).X;
        model.zero_grad();
        Terms(model, x)[1].backward();
        // KL = ½ Σ (α²₁ f² + σ²₁ − log σ²₁ − 1) with dα²/dγ = −α²σ², dσ²/dγ = α²σ², d log σ²/dγ = α², so
        // dKL/dγ₁ = ½ α²₁ Σ (σ²₁ (1 − f²) − 1); γ₁ = b + |w| for both schedules (g(1) = 1), so ∂γ₁/∂b = ∂γ₁/∂w = 1.
        double gamma1 = model.Schedule.Endpoints(dtype: ScalarType.Float64)[1].item<double>();
        double a2 = 1 / (1 + Math.Exp(gamma1)), s2 = 1 - a2;
        var f = ForwardProcess.Encode(x, 256, ScalarType.Float64).reshape(x.shape[0], -1);
        double expected = (0.5 * a2 * (s2 * (1 - f.square()) - 1)).sum(1).mean().item<double>();
        foreach (var (name, parameter) in model.Schedule.named_parameters().Where(p => p.name is "bias" or "weight"))
        {
            double autograd = parameter.grad!.item<double>();
            // Float64 sums of 8 terms: agreement to ~1e-15 relative; 1e-10 is loose for rounding, and a detached γ₁ gives 0.
            Assert.True(Math.Abs(autograd - expected) < 1e-10 * Math.Abs(expected), $"{kind}: d(prior)/d({name}) = {autograd}, closed form {expected}");
        }
    }
}
