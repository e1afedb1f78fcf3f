using Lmvp.Testing;

namespace Lmvp.Store.Tests.Support;

/// <summary>A repository in a fresh temp directory; commits skip git provenance unless asked, so tests stay fast.</summary>
public sealed class ScratchRepository : IDisposable
{
    public const string TestAuthor = "Test Author <test@example.com>";

    public ScratchRepository(string prefix = "repo", string? baseDirectory = null)
    {
        Directory = new TempDirectory(prefix, baseDirectory);
        Repository = Repository.Init(Directory.Path);
    }

    public TempDirectory Directory { get; }

    public Repository Repository { get; private set; }

    public string Root => Directory.Path;

    public string Combine(string relativePath) => Directory.Combine(relativePath.Split('/'));

    /// <summary>Writes a file whose mtime is 10 minutes old, so the stat cache may keep it.</summary>
    public string Write(string relativePath, byte[] content, bool ageIt = true) => Directory.WriteFile(relativePath, content, ageIt);

    public CommitResult Commit(string message = "snapshot", bool allowEmpty = false, Action<string>? afterFileRead = null,
        IReadOnlyDictionary<string, double>? metrics = null) =>
        Repository.Commit(new CommitOptions
        {
            Message = message,
            Author = TestAuthor,
            AllowEmpty = allowEmpty,
            RecordProvenance = false,
            AfterFileRead = afterFileRead,
            Metrics = metrics ?? new Dictionary<string, double>(),
        });

    /// <summary>The tree entry of <paramref name="path"/> in <paramref name="commit"/>, or null.</summary>
    public TreeEntry? Entry(ObjectId commit, string path) =>
        Repository.ListFiles(commit).Where(kv => kv.Key == path).Select(kv => kv.Value).FirstOrDefault();

    /// <summary>Closes and reopens the repository, as a new process would.</summary>
    public void Reopen()
    {
        Repository.Dispose();
        Repository = Repository.Open(Root);
    }

    public void Dispose()
    {
        Repository.Dispose();
        Directory.Dispose();
    }
}
