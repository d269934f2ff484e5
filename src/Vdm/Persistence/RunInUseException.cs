namespace Vdm.Persistence;

/// <summary>Another live process holds the run folder's lock.</summary>
public sealed class RunInUseException(string message) : InvalidOperationException(message);
