namespace Vdm.Data;

/// <summary>A data file does not have the layout its format requires (bad magic, wrong rank, wrong length,
/// out-of-range labels, corrupt compression). The message names the file and the problem.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string fileName, string problem)
        : base($"{fileName}: {problem}")
    {
        FileName = fileName;
        Problem = problem;
    }

    public DataFormatException(string fileName, string problem, Exception inner)
        : base($"{fileName}: {problem}", inner)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file (or archive entry) at fault, as the caller named it.</summary>
    public string FileName { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
