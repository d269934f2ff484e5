namespace Vdm.Data;

/// <summary>The bytes of a file or archive entry, with the name used in error messages.</summary>
public sealed record NamedContent(string Name, byte[] Bytes);
