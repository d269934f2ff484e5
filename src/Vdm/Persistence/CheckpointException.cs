namespace Vdm.Persistence;

/// <summary>A checkpoint that is missing, truncated, corrupt, of another format version, or for another config.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
