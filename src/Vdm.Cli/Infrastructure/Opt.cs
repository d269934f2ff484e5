using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Vdm.Cli.Infrastructure;

/// <summary>
/// Options with range checks done while parsing, so a bad value is reported as one parse error naming the option
/// and the value (e.g. "--steps must be ≥ 1 (got -1)"). Absent options are null: only given values override a config.
/// </summary>
public static class Opt
{
    public static Option<int?> Int(string name, string description, int min = int.MinValue, int max = int.MaxValue, string? helpName = "N") =>
        Number<int>(name, description, min, max, helpName, "an integer");

    public static Option<long?> Long(string name, string description, long min = long.MinValue, long max = long.MaxValue, string? helpName = "N") =>
        Number<long>(name, description, min, max, helpName, "an integer");

    /// <summary>A real number in [min, max] (or [min, max) when <paramref name="maxExclusive"/>); never NaN or infinite.</summary>
    public static Option<double?> Double(string name, string description, double min, double max = double.MaxValue,
        bool minExclusive = false, bool maxExclusive = false, string? helpName = "X")
    {
        var option = new Option<double?>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result =>
        {
            var text = Single(result);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                result.AddError($"{name} expects a number (got '{text}')");
                return null;
            }
            var low = minExclusive ? value > min : value >= min;
            var high = maxExclusive ? value < max : value <= max;
            if (!low || !high)
            {
                var range = max == double.MaxValue
                    ? $"{(minExclusive ? ">" : "≥")} {Show(min)}"
                    : $"in {(minExclusive ? "(" : "[")}{Show(min)}, {Show(max)}{(maxExclusive ? ")" : "]")}";
                result.AddError($"{name} must be {range} (got {text})");
                return null;
            }
            return value;
        };
        return option;
    }

    /// <summary>One of a fixed set of words (case-insensitive), mapped to a value.</summary>
    public static Option<T?> Choice<T>(string name, string description, IReadOnlyDictionary<string, T> choices)
        where T : struct
    {
        var words = string.Join("|", choices.Keys);
        var option = new Option<T?>(name) { Description = description, HelpName = words };
        option.CustomParser = result =>
        {
            var text = Single(result);
            foreach (var (word, value) in choices)
                if (string.Equals(word, text, StringComparison.OrdinalIgnoreCase)) return value;
            result.AddError($"{name} must be one of {string.Join(", ", choices.Keys)} (got '{text}')");
            return null;
        };
        return option;
    }

    /// <summary>A comma-separated list of integers, each in [min, max] (e.g. <c>--channel-mults 1,2,2</c>).</summary>
    public static Option<int[]?> IntList(string name, string description, int min, int max, string? helpName = "N,N,…")
    {
        var option = new Option<int[]?>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result =>
        {
            var text = Single(result);
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            var values = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max)
                {
                    result.AddError($"{name} expects comma-separated integers in [{min}, {max}] (got '{text}')");
                    return null;
                }
            }
            return values;
        };
        return option;
    }

    public static Option<string?> Text(string name, string description, string? helpName = null) =>
        new(name) { Description = description, HelpName = helpName };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    private static Option<T?> Number<T>(string name, string description, T min, T max, string? helpName, string what)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        var option = new Option<T?>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result =>
        {
            var text = Single(result);
            if (!T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name} expects {what} (got '{text}')");
                return null;
            }
            if (value < min || value > max)
            {
                var range = max == T.MaxValue ? $"≥ {min}" : min == T.MinValue ? $"≤ {max}" : $"in [{min}, {max}]";
                result.AddError($"{name} must be {range} (got {text})");
                return null;
            }
            return value;
        };
        return option;
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string Show(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
