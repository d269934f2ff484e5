namespace Vdm.Imaging;

/// <summary>How <see cref="PngWriter"/> filters scanlines before compression.</summary>
public enum PngFilterStrategy
{
    /// <summary>Filter type 0 on every row: the compressed data is the raw rows.</summary>
    None,

    /// <summary>Per row, the filter with the smallest sum of absolute (signed) residuals.</summary>
    Adaptive,
}
