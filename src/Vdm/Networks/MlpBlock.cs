using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vdm.Networks;

/// <summary>
/// Residual MLP block for vector data, the fully connected counterpart of <see cref="ResnetBlock"/>:
/// h + Linear(Dropout(SiLU(Linear(SiLU(LayerNorm(h))) + Linear(SiLU(cond))))). The LayerNorm is optional.
/// </summary>
public sealed class MlpBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm? norm;
    private readonly Linear fc1;
    private readonly Linear cond_proj;
    private readonly Dropout dropout;
    private readonly Linear fc2;

    public MlpBlock(long hidden, long condWidth, double dropout = 0.0, bool layerNorm = true) : base(nameof(MlpBlock))
    {
        if (layerNorm) norm = nn.LayerNorm(hidden);
        fc1 = nn.Linear(hidden, hidden);
        cond_proj = nn.Linear(condWidth, hidden);
        this.dropout = nn.Dropout(dropout);
        fc2 = nn.Linear(hidden, hidden);
        RegisterComponents();
    }

    /// <param name="x">[B, hidden].</param>
    /// <param name="cond">[B, condWidth].</param>
    public override Tensor forward(Tensor x, Tensor cond)
    {
        using var scope = NewDisposeScope();
        var h = norm is null ? x : norm.forward(x);
        h = fc1.call(nn.functional.silu(h)) + cond_proj.call(nn.functional.silu(cond));
        h = fc2.call(dropout.forward(nn.functional.silu(h)));
        return (x + h).MoveToOuterDisposeScope();
    }
}
