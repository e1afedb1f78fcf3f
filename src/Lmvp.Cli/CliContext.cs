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
    /// <summary>Opens the repository containing the working directory; chunks a partial clone left on the remote come with this
    /// invocation's credentials when a command needs them.</summary>
    public Repository OpenRepository()
    {
        var repository = Repository.Discover(WorkingDirectory);
        repository.RemoteOptions = Commands.SyncCommandSupport.Options(this, null);
        return repository;
    }

    /// <summary>Resolves a user path against the working directory.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>Turns a repository path (slash-separated, from the root) into one relative to the working directory, as git
    /// prints paths: <c>data/a.bin</c> seen from <c>data/</c> is <c>a.bin</c>, seen from <c>logs/</c> is <c>../data/a.bin</c>.</summary>
    public Func<string, string> RelativePaths(Repository repository)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repository.WorkingDirectory));
        var here = Path.TrimEndingDirectorySeparator(Path.GetFullPath(WorkingDirectory));
        if (here == root)
        {
            return path => path;
        }

        return path =>
        {
            var relative = Path.GetRelativePath(here, Path.Combine(root, path)).Replace(Path.DirectorySeparatorChar, '/');
            return path.EndsWith('/') && !relative.EndsWith('/') ? relative + "/" : relative;
        };
    }

    /// <summary>Reads an environment variable.</summary>
    public string? GetEnvironmentVariable(string name) =>
        Environment is null ? System.Environment.GetEnvironmentVariable(name) : Environment.GetValueOrDefault(name);

    /// <summary>A progress sink that draws on stderr when it is a terminal, else null.</summary>
    public IProgress<ProgressInfo>? Progress() => ErrorIsTerminal ? new ProgressPrinter(Error) : null;
}
