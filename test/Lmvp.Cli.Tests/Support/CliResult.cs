namespace Lmvp.Cli.Tests.Support;

/// <summary>What one <c>lmvp</c> invocation returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output split into lines, without the trailing empty one.</summary>
    public string[] OutLines => Lines(Out);

    /// <summary>Standard error split into lines, without the trailing empty one.</summary>
    public string[] ErrorLines => Lines(Error);

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}
