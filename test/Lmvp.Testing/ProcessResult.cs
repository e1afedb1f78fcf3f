namespace Lmvp.Testing;

/// <summary>What one run of a program returned and printed: a child process (<see cref="LmvpProcess"/>), or lmvp run
/// in-process by a test.</summary>
public sealed record ProcessResult(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output split into lines, without the trailing empty one.</summary>
    public string[] OutLines => Lines(Out);

    /// <summary>Standard error split into lines, without the trailing empty one.</summary>
    public string[] ErrorLines => Lines(Error);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{EndLine(Out)}--- stderr\n{EndLine(Error)}";

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    private static string EndLine(string text) => text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
}
