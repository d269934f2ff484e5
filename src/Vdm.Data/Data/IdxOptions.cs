namespace Vdm.Data;

/// <summary>How to interpret a pair of IDX files.</summary>
public sealed record IdxOptions
{
    /// <summary>Transpose every image (EMNIST stores images transposed).</summary>
    public bool Transpose { get; init; }

    /// <summary>Subtracted from every label (EMNIST letters labels 1..26 become 0..25).</summary>
    public int LabelOffset { get; init; }

    /// <summary>Number of classes; labels must lie in 0..NumClasses−1. 0: infer as largest label + 1.</summary>
    public int NumClasses { get; init; }

    /// <summary>Where <see cref="NumClasses"/> was declared (a user folder's classes.txt), named in range errors.</summary>
    public string? ClassesDeclaredIn { get; init; }

    /// <summary>With <see cref="NumClasses"/> 0: refuse an inferred count unless every label 0..largest occurs
    /// (a user folder's training split, so a stray 255 cannot make a 256-class model).</summary>
    public bool RequireEveryInferredLabel { get; init; }
}
