namespace Vdm.Imaging;

/// <summary>Size and labels of a plot; null labels fall back to each plot's defaults.</summary>
public sealed record PlotOptions
{
    /// <summary>Width of the PNG in pixels.</summary>
    public int Width { get; init; } = 800;

    /// <summary>Height of the PNG in pixels.</summary>
    public int Height { get; init; } = 500;

    public string? Title { get; init; }

    public string? XLabel { get; init; }

    public string? YLabel { get; init; }

    /// <summary>Logarithmic y axis (base 10); non-positive values are left out.</summary>
    public bool LogY { get; init; }

    internal void Validate()
    {
        if (Width is < 16 or > 16384 || Height is < 16 or > 16384)
            throw new ArgumentOutOfRangeException(nameof(Width), $"plot size {Width}x{Height} is outside 16..16384");
    }
}
