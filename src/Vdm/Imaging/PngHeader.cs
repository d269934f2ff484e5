namespace Vdm.Imaging;

/// <summary>The IHDR fields of a PNG file.</summary>
public sealed record PngHeader(int Width, int Height, byte BitDepth, byte ColorType, byte Compression, byte Filter, byte Interlace);
