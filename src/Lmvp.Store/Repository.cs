using Lmvp.Store.Graph;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Refs;

namespace Lmvp.Store;

/// <summary>A training directory under version control: the entry point for every operation.</summary>
/// <remarks>Not thread-safe: use one instance per thread, or serialize calls.</remarks>
public sealed partial class Repository : IDisposable
{
    /// <summary>The name of the repository directory inside a working tree.</summary>
    public const string DirectoryName = ".lmvp";

    /// <summary>The branch a new repository starts on.</summary>
    public const string DefaultBranch = "main";

    private readonly RepositoryDatabase _database;
    private readonly PackSet _packs;
    private readonly ObjectStore _store;
    private readonly LocalRefs _refs;

    private Repository(string workingDirectory, RepositoryDatabase database)
    {
        WorkingDirectory = workingDirectory;
        _database = database;
        _packs = new PackSet(Path.Combine(RepositoryDirectory, "packs"), database);
        _store = new ObjectStore(database, _packs);
        _refs = new LocalRefs(database);
    }

    /// <summary>The root of the working tree (the training directory).</summary>
    public string WorkingDirectory { get; }

    /// <summary>The <c>.lmvp</c> directory.</summary>
    public string RepositoryDirectory => Path.Combine(WorkingDirectory, DirectoryName);

    /// <summary>This repository's commits, trees and manifests, for the algorithms of <see cref="Lmvp.Store.Graph"/>.</summary>
    public IObjectSource Objects => _store;

    /// <summary>This repository's chunks, verified as they are read.</summary>
    public IChunkSource Chunks => _store;

    internal ObjectStore Store => _store;

    internal LocalRefs LocalRefs => _refs;

    internal RepositoryDatabase Database => _database;

    internal static string DatabasePath(string workingDirectory) => Path.Combine(workingDirectory, DirectoryName, "lmvp.db");

    /// <summary>Creates a repository in <paramref name="directory"/> (created if missing); fails if one exists. Inside a git
    /// work tree, <c>.lmvp/</c> is added to git's info/exclude, so git does not see the store.</summary>
    public static Repository Init(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        var dbPath = DatabasePath(root);
        if (File.Exists(dbPath))
        {
            throw new DestinationNotEmptyException($"{root} is already an lmvp repository.");
        }

        Directory.CreateDirectory(Path.Combine(root, DirectoryName, "packs"));
        var database = RepositoryDatabase.Open(dbPath, create: true);
        var repository = new Repository(root, database);
        repository._refs.SetHeadToBranch(DefaultBranch);
        repository.ExcludeFromGit();
        return repository;
    }

    /// <summary>Inside a git work tree, makes sure git's info/exclude names <c>.lmvp/</c>; returns that file, or null outside git.</summary>
    public string? ExcludeFromGit() => Git.GitInfo.ExcludeRepositoryDirectory(WorkingDirectory);

    /// <summary>Opens the repository whose working tree is exactly <paramref name="directory"/>.</summary>
    public static Repository Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(Path.Combine(root, DirectoryName)))
        {
            throw new RepositoryNotFoundException($"{root} is not an lmvp repository (no {DirectoryName} directory); run 'lmvp init'.");
        }

        Directory.CreateDirectory(Path.Combine(root, DirectoryName, "packs"));
        var repository = new Repository(root, RepositoryDatabase.Open(DatabasePath(root), create: true));
        repository._packs.RemoveStaleTemporaries(TimeSpan.FromHours(1));
        return repository;
    }

    /// <summary>Opens the repository that contains <paramref name="startDirectory"/>, searching upward like git.</summary>
    public static Repository Discover(string startDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(startDirectory);
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, DirectoryName)))
            {
                return Open(dir.FullName);
            }
        }

        throw new RepositoryNotFoundException($"Not an lmvp repository (or any parent up to /): {Path.GetFullPath(startDirectory)}; run 'lmvp init'.");
    }

    /// <summary>Reads a repository setting, or null.</summary>
    public string? GetConfig(string key) => _database.GetConfig(key);

    /// <summary>Writes a repository setting.</summary>
    public void SetConfig(string key, string value) => _database.SetConfig(key, value);

    /// <summary>Removes a repository setting.</summary>
    public void UnsetConfig(string key) => _database.DeleteConfig(key);

    /// <summary>Settings whose key starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ListConfig(string prefix) => _database.ListConfig(prefix);

    /// <summary>Reads a commit.</summary>
    public Commit GetCommit(ObjectId id) => _store.GetCommit(id);

    /// <summary>Reads a tree.</summary>
    public Tree GetTree(ObjectId id) => _store.GetTree(id);

    /// <summary>Every file and symlink of a commit with its slash-separated path, in path order.</summary>
    public IReadOnlyList<KeyValuePair<string, TreeEntry>> ListFiles(ObjectId commitId) => [.. _store.Flatten(_store.GetCommit(commitId).TreeId)];

    /// <summary>Opens a file's content for reading; every chunk is verified as it is read and the whole file at its end.</summary>
    /// <remarks>Chunks a partial clone left on the remote are fetched first (see <see cref="RemoteOptions"/>), verified, and kept.</remarks>
    public Stream OpenFile(ObjectId fileId)
    {
        var manifest = _store.GetManifest(fileId);
        Promised.EnsurePresent([(null, manifest)], "read", CancellationToken.None);
        return new VerifiedFileStream(_store, manifest);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _packs.Dispose();
        _database.Dispose();
    }
}
