using TorchSharp;
using TorchSharp.Modules;
using Vdm.Tests.Support;
using Vdm.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vdm.Tests.Training;

/// <summary>
/// <see cref="AdamWStep"/> against AdamW's formula computed in doubles by the test, against TorchSharp's own
/// <c>step()</c> bit for bit (so checkpoints and resumed runs are unchanged by it), and under garbage collections
/// forced beside it, where TorchSharp's <c>step()</c> reads freed Scalars.
/// </summary>
public sealed class AdamWStepTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Lr = 0.01, Beta1 = 0.9, Beta2 = 0.99, WeightDecay = 0.1, Eps = 1e-3; // ε large enough that its place in the denominator shows

    /// <summary>The gradient of step s (0-based) for element i: varied in sign and size, never 0.</summary>
    private static double Gradient(int s, int i) => Math.Sin(0.7 * s + 1.3 * i) + 0.2 * (i + 1);

    /// <summary>The learning rate of step s: changed between steps as <see cref="Trainer"/> changes it.</summary>
    private static double LearningRate(int s) => Lr * (1 - 0.05 * s);

    [Fact]
    public void UpdateIsAdamWsFormulaComputedInDoubles()
    {
        using var scope = NewDisposeScope();
        double[] initial = [0.5, -1.5, 2.0];
        var p = new Parameter(tensor(initial, ScalarType.Float64));
        using var optimizer = optim.AdamW([p], Lr, Beta1, Beta2, Eps, WeightDecay);
        double[] theta = (double[])initial.Clone(), m = new double[3], v = new double[3];
        for (int s = 0; s < 12; s++)
        {
            double lr = LearningRate(s);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            var g = Enumerable.Range(0, 3).Select(i => Gradient(s, i)).ToArray();
            p.grad = tensor(g, ScalarType.Float64);
            AdamWStep.Apply(optimizer);
            int t = s + 1;
            for (int i = 0; i < 3; i++)
            {
                theta[i] *= 1 - lr * WeightDecay;
                m[i] = Beta1 * m[i] + (1 - Beta1) * g[i];
                v[i] = Beta2 * v[i] + (1 - Beta2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(Beta1, t)), vHat = v[i] / (1 - Math.Pow(Beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + Eps);
            }
        }
        var actual = p.detach().data<double>().ToArray();
        // Float64 throughout: 12 steps of a few rounded operations on values ≤ 3 agree to ~1e-14. Leaving out the
        // weight decay, a bias correction or ε's place (√v̂ + ε against √(v̂ + ε)) moves θ by ≥ 1e-6.
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(actual[i] - theta[i]) < 1e-12, $"θ[{i}] = {actual[i]}, AdamW's formula gives {theta[i]}");
        Assert.Equal(12, ((AdamW.State)optimizer.state_dict().State[0]).step);
    }

    /// <summary>Parameters of several shapes; the last gets no gradient in odd steps (both steps skip it, and its step
    /// count stays behind, so its bias corrections differ from the others').</summary>
    private static Parameter[] Parameters()
    {
        var generator = new torch.Generator(7);
        return [new(randn([16, 8], generator: generator)), new(randn([8], generator: generator)), new(randn([3, 3, 2, 2], generator: generator))];
    }

    /// <summary>Gradients sin(0.37 i + j) for j &lt; 7, made before any collector runs: creating them needs Scalars too
    /// (arange's bounds, add_'s alpha), and the test's own ops must not be what races.</summary>
    private static Tensor[][] Gradients(Parameter[] parameters) =>
        parameters.Select(p => Enumerable.Range(0, 7)
            .Select(j => (arange(p.numel(), ScalarType.Float32).reshape(p.shape) * 0.37 + j).sin().DetachFromDisposeScope()).ToArray()).ToArray();

    /// <summary>Steps with the learning rate of each step and gradient j = s mod 7; the last parameter gets none in
    /// odd steps.</summary>
    private static void Steps(Parameter[] parameters, Tensor[][] gradients, AdamW optimizer, bool ours, int steps)
    {
        for (int s = 0; s < steps; s++)
        {
            foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(s);
            for (int k = 0; k < parameters.Length; k++)
                parameters[k].grad = k == parameters.Length - 1 && s % 2 == 1 ? null : gradients[k][s % 7];
            if (ours) AdamWStep.Apply(optimizer);
            else optimizer.step();
        }
    }

    [Fact]
    public void UpdateEqualsTorchSharpsStepBitForBit()
    {
        using var scope = NewDisposeScope();
        var theirs = Parameters();
        var ours = Parameters();
        using var theirOptimizer = optim.AdamW(theirs, Lr, Beta1, Beta2, Eps, WeightDecay);
        using var ourOptimizer = optim.AdamW(ours, Lr, Beta1, Beta2, Eps, WeightDecay);
        Steps(theirs, Gradients(theirs), theirOptimizer, ours: false, 9);
        Steps(ours, Gradients(ours), ourOptimizer, ours: true, 9);
        var theirStates = theirOptimizer.state_dict().State.Cast<AdamW.State>().ToArray();
        var ourStates = ourOptimizer.state_dict().State.Cast<AdamW.State>().ToArray();
        for (int k = 0; k < theirs.Length; k++)
        {
            Assert.True(theirs[k].equal(ours[k]).all().item<bool>(), $"parameter {k} differs from TorchSharp's step");
            Assert.True(theirStates[k].exp_avg.equal(ourStates[k].exp_avg).all().item<bool>(), $"first moment {k} differs");
            Assert.True(theirStates[k].exp_avg_sq.equal(ourStates[k].exp_avg_sq).all().item<bool>(), $"second moment {k} differs");
            Assert.Equal(theirStates[k].step, ourStates[k].step);
        }
        Assert.Equal(5, ourStates[^1].step); // skipped in the 4 odd steps of 9
    }

    [Fact]
    public void UpdateSurvivesFinalizersRunningBesideIt()
    {
        using var scope = NewDisposeScope();
        var quiet = Enumerable.Range(0, 32).Select(_ => new Parameter(ones(64, 64))).ToArray();
        var loaded = Enumerable.Range(0, 32).Select(_ => new Parameter(ones(64, 64))).ToArray();
        using var quietOptimizer = optim.AdamW(quiet, Lr, Beta1, Beta2, Eps, WeightDecay);
        using var loadedOptimizer = optim.AdamW(loaded, Lr, Beta1, Beta2, Eps, WeightDecay);
        const int steps = 300;
        Steps(quiet, Gradients(quiet), quietOptimizer, ours: true, steps);
        var gradients = Gradients(loaded);
        CollectionsBeside.Run(() => Steps(loaded, gradients, loadedOptimizer, ours: true, steps));
        for (int k = 0; k < loaded.Length; k++)
            Assert.True(quiet[k].equal(loaded[k]).all().item<bool>(), $"parameter {k}: an update under collections read a freed Scalar");
        output.WriteLine($"{steps} steps of {loaded.Length} parameters with collections beside them");
    }
}
