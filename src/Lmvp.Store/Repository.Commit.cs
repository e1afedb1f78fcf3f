using System.Text;
using Lmvp.Store.Chunking;
using Lmvp.Store.Index;
using Lmvp.Store.Maintenance;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Git;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

public sealed partial class Repository
{
    private const int MaxReadAttempts = 3;

    /// <summary>A file modified less than this long ago is not stat-cached: its mtime may not yet show a change made in the same tick.</summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>Snapshots every file of the working tree and moves HEAD to the new commit.</summary>
    /// <exception cref="NothingToCommitException">The tree equals HEAD's and <see cref="CommitOptions.AllowEmpty"/> is off.</exception>
    public CommitResult Commit(CommitOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Message))
        {
            throw new ArgumentException("A commit needs a message.", nameof(options));
        }

        return CommitCore(options, progress, cancellationToken);
    }

    private CommitResult CommitCore(CommitOptions options, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        // Shared with other commits, exclusive against gc: gc must not delete a chunk this commit is about to reuse.
        using var maintenance = MaintenanceLock.AcquireShared(RepositoryDirectory, "commit");
        var head = Head;
        var headCommit = head is { } h ? _store.GetCommit(h) : null;
        var snapshot = Snapshot(progress, cancellationToken, options.AfterFileRead);
        using var writer = snapshot.Writer;

        var unchanged = headCommit is null ? snapshot.Tree.Entries.Count == 0 : headCommit.TreeId == snapshot.Tree.Id;
        if (unchanged && !options.AllowEmpty)
        {
            _database.ReplaceStatCache(snapshot.StatCache);
            throw new NothingToCommitException("Nothing to commit, working tree clean (use --allow-empty to record a commit anyway).");
        }

        var (provenance, gitAuthor) = options.RecordProvenance || options.Author is null ? GitInfo.Read(WorkingDirectory) : (null, null);
        var author = options.Author ?? DefaultAuthor(gitAuthor);
        var commit = Lmvp.Store.Commit.Create(
            snapshot.Tree.Id,
            head is { } p ? new[] { p } : Array.Empty<ObjectId>(),
            author,
            options.Time ?? DateTimeOffset.UtcNow,
            options.Message,
            options.Metrics,
            options.RecordProvenance ? provenance : null,
            options.Params);
        writer.PutObject(ObjectKind.Commit, commit.Id, commit.Encoded);
        writer.Publish(() =>
        {
            using (_database.ReflogMessage((head is null ? "commit (initial): " : "commit: ") + commit.Subject))
            {
                AdvanceHead(head, commit.Id);
            }

            _database.ReplaceStatCache(snapshot.StatCache);
        });
        return new CommitResult(commit, snapshot.BytesScanned, snapshot.BytesRead, writer.NewStoredBytes, writer.NewChunks, snapshot.FilesRead, snapshot.FilesUnchanged,
            writer.NewChunkBytes)
        {
            FilesLeftToGit = snapshot.FilesLeftToGit,
        };
    }

    /// <summary>The author when none is given: lmvp's user.name and user.email, else git's, else the OS user.</summary>
    private string DefaultAuthor(string? gitAuthor)
    {
        var name = GetConfig("user.name");
        var email = GetConfig("user.email");
        return name is { Length: > 0 } ? (email is { Length: > 0 } ? $"{name} <{email}>" : name) : gitAuthor ?? Environment.UserName;
    }

    private sealed record SnapshotResult(Tree Tree, ObjectWriter Writer, List<KeyValuePair<string, StatCacheEntry>> StatCache,
        long BytesScanned, long BytesRead, int FilesRead, int FilesUnchanged, int FilesLeftToGit);

    /// <summary>Stores every working-tree file not already stored and builds the root tree; nothing is indexed until the writer publishes.</summary>
    private SnapshotResult Snapshot(IProgress<ProgressInfo>? progress, CancellationToken cancellationToken, Action<string>? afterFileRead = null)
    {
        var rules = LoadIgnoreRules();
        var files = WorkingTreeScanner.Scan(WorkingDirectory, rules, cancellationToken);
        foreach (var f in files)
        {
            // Fail before reading anything: a tree cannot hold such a name, and checkout would refuse it.
            if (f.Path.Split('/').FirstOrDefault(part => !Tree.IsValidName(part)) is { } bad)
            {
                throw new LmvpException($"Cannot commit '{CanonicalReader.Printable(f.Path)}': the name '{CanonicalReader.Printable(bad)}' "
                    + $"cannot be stored (it holds a backslash or is too long); rename it or add it to {IgnoreRules.FileName}.");
            }
        }

        var cache = _database.LoadStatCache();
        var writer = new ObjectWriter(_store);
        try
        {
            var now = DateTimeOffset.UtcNow;
            var newCache = new List<KeyValuePair<string, StatCacheEntry>>(files.Count);
            var entries = new List<(string Path, TreeEntry Entry)>(files.Count);
            var pending = new List<(ScannedFile File, bool Cached)>(files.Count);
            long toRead = 0, scanned = 0, read = 0;
            var filesRead = 0;
            var unchanged = 0;
            foreach (var f in files)
            {
                var cached = f.Stat.IsRegular && cache.TryGetValue(f.Path, out var c) && Matches(c, f.Stat) && _store.HasManifest(c.FileId);
                pending.Add((f, cached));
                if (f.Stat.IsRegular && !cached)
                {
                    toRead += f.Stat.Size;
                }
            }

            var chunker = new FileChunker();
            foreach (var (f, cached) in pending)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = f.Path[(f.Path.LastIndexOf('/') + 1)..];
                if (f.Stat.IsSymlink)
                {
                    var target = f.LinkTarget ?? "";
                    var bytes = Encoding.UTF8.GetBytes(target);
                    entries.Add((f.Path, new TreeEntry(name, TreeEntryKind.Symlink, false, bytes.Length, ObjectId.Compute(bytes), target)));
                    continue;
                }

                scanned += f.Stat.Size;
                if (cached)
                {
                    var c = cache[f.Path];
                    entries.Add((f.Path, new TreeEntry(name, TreeEntryKind.File, f.Stat.IsExecutable, c.Size, c.FileId)));
                    newCache.Add(new(f.Path, c));
                    unchanged++;
                    continue;
                }

                var (chunked, stat) = ReadStable(f, chunker, writer, afterFileRead, n =>
                {
                    read += n;
                    progress?.Report(new ProgressInfo("commit", read, toRead));
                }, cancellationToken);
                filesRead++;
                var manifest = chunked.Manifest;
                writer.PutObject(ObjectKind.Manifest, manifest.FileId, manifest.Encode());
                entries.Add((f.Path, new TreeEntry(name, TreeEntryKind.File, stat.IsExecutable, manifest.Size, manifest.FileId)));
                if (now - DateTimeOffset.FromUnixTimeMilliseconds(stat.MtimeNs / 1_000_000) > RacyWindow)
                {
                    newCache.Add(new(f.Path, StatCacheEntry.Of(stat, manifest.FileId)));
                }
            }

            var tree = TreeBuilder.Build(entries, writer);
            return new SnapshotResult(tree, writer, newCache, scanned, read, filesRead, unchanged, rules.GitTrackedCount);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    private static bool Matches(StatCacheEntry cached, FileStat stat) =>
        cached.Size == stat.Size && cached.MtimeNs == stat.MtimeNs && cached.CtimeNs == stat.CtimeNs && cached.Inode == stat.Inode;

    /// <summary>Reads a file until two stats around one full read agree, so the stored content existed as a whole.</summary>
    private static (FileChunkingResult File, FileStat Stat) ReadStable(ScannedFile file, FileChunker chunker, ObjectWriter writer,
        Action<string>? afterFileRead, Action<int> onRead, CancellationToken cancellationToken)
    {
        var before = file.Stat;
        for (var attempt = 1; attempt <= MaxReadAttempts; attempt++)
        {
            FileChunkingResult chunked;
            using (var stream = new FileStream(file.FullPath, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.SequentialScan,
                BufferSize = 0,
            }))
            {
                writer.BeginFile();
                chunked = chunker.Chunk(stream, before.Size, file.Path, writer, onRead, cancellationToken);
            }

            afterFileRead?.Invoke(file.Path);
            var after = FileStatReader.TryLstat(file.FullPath);
            if (after is { } a && a.IsRegular && a.Size == before.Size && a.MtimeNs == before.MtimeNs && a.CtimeNs == before.CtimeNs
                && a.Inode == before.Inode && chunked.Manifest.Size == before.Size)
            {
                return (chunked, a);
            }

            before = after ?? throw new LmvpException($"{file.Path} was removed while it was being committed; nothing was recorded.");
        }

        throw new LmvpException($"{file.Path} kept changing while it was being committed ({MaxReadAttempts} attempts); nothing was recorded. Commit again once it is no longer being written.");
    }
}
