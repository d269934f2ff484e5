namespace Vdm.Data;

/// <summary>Split names: "train" and "test" ("t10k" and "training" are accepted).</summary>
public static class SplitNames
{
    public const string Train = "train";

    public const string Test = "test";

    public static string Normalise(string split) => split.Trim().ToLowerInvariant() switch
    {
        "train" or "training" => Train,
        "test" or "t10k" or "testing" => Test,
        _ => throw new ArgumentException($"unknown split '{split}': expected 'train' or 'test'", nameof(split)),
    };
}
