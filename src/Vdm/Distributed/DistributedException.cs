namespace Vdm.Distributed;

/// <summary>The distributed setup cannot work (no MPI library, a launcher's variables that contradict each other).</summary>
public sealed class DistributedException(string message) : Exception(message);
