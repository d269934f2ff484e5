using System.Text.Json;
using System.Text.RegularExpressions;
using Vdm.Data;
using Vdm.Persistence;
using Vdm.Training;

namespace Vdm.Cli.Infrastructure;

/// <summary>Maps exceptions to exit codes and one-line messages.</summary>
public static partial class ErrorReport
{
    /// <summary>Exceptions that mean "the input is bad" (exit 2) rather than "something broke" (exit 1).</summary>
    public static bool IsUsageError(Exception ex) => ex switch
    {
        UsageException or ArgumentException or JsonException or FileNotFoundException or DirectoryNotFoundException
            or InvalidDataException or DataFormatException or DatasetNotFoundException or CheckpointException or RunInUseException => true,
        _ => false,
    };

    public static int ExitCode(Exception ex) => IsUsageError(ex) ? ExitCodes.Usage : ExitCodes.Failure;

    /// <summary>The exception's message as a single line, without .NET's " (Parameter 'x')" suffix.</summary>
    public static string OneLine(Exception ex)
    {
        var message = ex.Message;
        if (ex is ArgumentException { ParamName: not null }) message = ParameterSuffix().Replace(message, "");
        if (string.IsNullOrWhiteSpace(message)) message = ex.GetType().Name;
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.Length == 0 ? "" : lines[0];
        for (var i = 1; i < lines.Length; i++) line += (line.EndsWith(':') ? " " : "; ") + lines[i];
        return ex is UsageException || IsUsageError(ex) ? line : $"{ex.GetType().Name}: {line}";
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)\s*$")]
    private static partial Regex ParameterSuffix();
}
