using Lmvp.Store;

namespace Lmvp.Cli;

/// <summary>Where a command writes and which directory it runs in; tests pass their own writers and directory.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="WorkingDirectory">The directory the command runs in.</param>
/// <param name="ErrorIsTerminal">True when standard error is a terminal (progress is shown only then).</param>
/// <param name="Environment">Environment variables to consult; null reads the process environment.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, string WorkingDirectory, bool ErrorIsTerminal, IReadOnlyDictionary<string, string>? Environment = null)
{
    /// <summary>Opens the repository containing the working directory.</summary>
    public Repository OpenRepository() => Repository.Discover(WorkingDirectory);

    /// <summary>Resolves a user path against the working directory.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>Reads an environment variable.</summary>
    public string? GetEnvironmentVariable(string name) =>
        Environment is null ? System.Environment.GetEnvironmentVariable(name) : Environment.GetValueOrDefault(name);

    /// <summary>A progress sink that draws on stderr when it is a terminal, else null.</summary>
    public IProgress<ProgressInfo>? Progress() => ErrorIsTerminal ? new ProgressPrinter(Error) : null;
}
