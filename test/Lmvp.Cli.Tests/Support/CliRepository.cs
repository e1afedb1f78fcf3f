using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Support;

/// <summary>A temp training directory on which <c>lmvp</c> commands run in-process, with their own writers.</summary>
public sealed class CliRepository : IDisposable
{
    /// <summary>Every commit made through <see cref="CommitAsync"/> uses this author, so output does not depend on the machine.</summary>
    public const string Author = "Test User <test@example.com>";

    private readonly TempDirectory _directory = new("cli");

    private CliRepository()
    {
    }

    /// <summary>The working tree's root.</summary>
    public string Root => _directory.Path;

    /// <summary>A directory that is not a repository yet.</summary>
    public static CliRepository Uninitialized() => new();

    /// <summary>A fresh repository (lmvp init already run).</summary>
    public static async Task<CliRepository> InitAsync()
    {
        var repository = new CliRepository();
        (await repository.RunAsync("init")).ExitCode.Should().Be(0);
        return repository;
    }

    /// <summary>Runs lmvp with <paramref name="args"/> in the root of the working tree.</summary>
    public Task<ProcessResult> RunAsync(params string[] args) => RunInAsync(Root, args);

    /// <summary>Runs lmvp with <paramref name="args"/> in <paramref name="directory"/>.</summary>
    public static async Task<ProcessResult> RunInAsync(string directory, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, directory, ErrorIsTerminal: false, Environment: new Dictionary<string, string>());
        var code = await LmvpCommandLine.RunAsync(args, context, CancellationToken.None);
        return new ProcessResult(code, output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), error.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>Runs a command that must succeed and returns its result.</summary>
    public async Task<ProcessResult> RunOkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        result.ExitCode.Should().Be(0, "lmvp {0} should succeed: {1}", string.Join(" ", args), result);
        return result;
    }

    /// <summary>Commits everything with a fixed author and returns the new HEAD's full id.</summary>
    public async Task<ObjectId> CommitAsync(string message, params string[] extra)
    {
        await RunOkAsync(["commit", "-m", message, "--author", Author, .. extra]);
        return Head();
    }

    /// <summary>The commit HEAD points at, read through the Store.</summary>
    public ObjectId Head()
    {
        using var repository = Repository.Open(Root);
        return repository.Head ?? throw new InvalidOperationException("no HEAD commit");
    }

    /// <summary>The checked-out branch, or null when detached.</summary>
    public string? CurrentBranch()
    {
        using var repository = Repository.Open(Root);
        return repository.CurrentBranch;
    }

    /// <summary>The files of HEAD, by path.</summary>
    public List<string> ListFiles()
    {
        using var repository = Repository.Open(Root);
        return [.. repository.ListFiles(repository.Head ?? throw new InvalidOperationException("no HEAD commit")).Select(f => f.Key)];
    }

    /// <summary>The full path of a slash-separated repository path.</summary>
    public string PathOf(string relativePath) => Path.Combine([Root, .. relativePath.Split('/')]);

    /// <summary>Writes a file, creating its directories.</summary>
    public string Write(string relativePath, byte[] content)
    {
        var full = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    /// <summary>Writes a text file, creating its directories.</summary>
    public string Write(string relativePath, string content) => Write(relativePath, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Reads a file's bytes.</summary>
    public byte[] Read(string relativePath) => File.ReadAllBytes(PathOf(relativePath));

    /// <summary>True when a file (or symlink) exists at the path.</summary>
    public bool Exists(string relativePath) => File.Exists(PathOf(relativePath)) || new FileInfo(PathOf(relativePath)).LinkTarget is not null;

    /// <summary>SHA-256 of every working-tree file, for byte-identity comparisons.</summary>
    public Dictionary<string, string> Fingerprint() => TestData.Fingerprint(Root);

    public void Dispose() => _directory.Dispose();
}
