using System.Buffers;
using Lmvp.Store.Codecs;
using Lmvp.Store.Graph;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Maintenance;

/// <summary>Removes chunks and objects that no ref, tag, remote-tracking ref or HEAD reaches, by rewriting the packs that hold them.</summary>
/// <remarks>
/// Nothing is changed until the whole live set is known and complete: a reachable object or chunk the index cannot supply
/// stops gc before it touches anything. Each pack is then handled on its own and crash-safe at every step: live entries are
/// copied (verified, stored bytes as they are) into a new pack, which is flushed and renamed; one transaction points the index
/// at the new pack and forgets the old one; only then is the old file deleted. A crash leaves at worst a pack the index does
/// not name, which a later gc removes.
/// gc refuses to start while another process is writing a pack; a commit that is still only reading files when gc starts
/// could reuse a chunk gc then drops, so gc is not meant to run alongside commits.
/// </remarks>
internal sealed class GarbageCollector
{
    /// <summary>A pack file the index does not name is deleted only once it is this old: a commit may be about to index it.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(1);

    private readonly RepositoryDatabase _database;
    private readonly ObjectStore _store;
    private readonly string _packDirectory;
    private readonly IProgress<ProgressInfo>? _progress;
    private readonly List<string> _warnings = [];
    private long _promised; // reachable chunks not here that a remote promises

    public GarbageCollector(ObjectStore store, IProgress<ProgressInfo>? progress)
    {
        _store = store;
        _database = store.Database;
        _packDirectory = store.Packs.Directory;
        _progress = progress;
    }

    /// <summary>Called after each durable step of swapping a pack ("published", "indexed", "deleted"); tests crash here.</summary>
    public Action<string>? OnStep { get; init; }

    private enum PackAction
    {
        Keep,
        Rewrite,
        Delete,
    }

    public GarbageCollectionResult Run(IReadOnlyList<KeyValuePair<string, ObjectId>> roots, bool dryRun, CancellationToken cancellationToken)
    {
        // A writer holding a temporary pack open is a commit (or fetch) in progress: it may be reusing chunks gc would drop.
        if (!dryRun && Directory.EnumerateFiles(_packDirectory, PackFormat.TempPrefix + "*" + PackFormat.Extension).Any(MaintenanceLock.IsInUse))
        {
            throw new RepositoryLockedException("Cannot run gc: a commit or fetch is writing to this repository; run gc when it has finished.");
        }

        var (liveChunks, liveObjects) = Mark(roots, cancellationToken);
        var plans = Plan(liveChunks, liveObjects, cancellationToken);
        var leftovers = Leftovers();
        var deadObjects = _database.ListObjectSummaries().Where(o => !liveObjects.Contains(o.Id)).Select(o => o.Id).ToList();
        var deadChunkRows = _database.ListChunkIds().Where(id => !liveChunks.Contains(id)).ToList();
        var bytesBefore = Directory.EnumerateFiles(_packDirectory, "*" + PackFormat.Extension).Sum(p => new FileInfo(p).Length);
        var planned = plans.Sum(p => p.Size - p.NewSize) + leftovers.Sum(l => l.Size);
        if (dryRun)
        {
            return new GarbageCollectionResult(true, planned, deadChunkRows.Count, deadObjects.Count,
                plans.Count(p => p.Action == PackAction.Rewrite), plans.Count(p => p.Action == PackAction.Delete), leftovers.Count, bytesBefore, bytesBefore - planned, _warnings) { PromisedChunks = _promised };
        }

        // Unreachable objects go first: once a pack swap drops dead chunks, no manifest in the index may still name them.
        _database.InTransaction(() =>
        {
            foreach (var id in deadObjects)
            {
                _database.DeleteObject(id);
            }
        });

        long freed = 0;
        int rewritten = 0, deleted = 0;
        var toCopy = plans.Where(p => p.Action == PackAction.Rewrite).Sum(p => p.NewSize);
        long copied = 0;
        foreach (var plan in plans)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (plan.Action == PackAction.Delete)
            {
                _database.InTransaction(() => _database.DeletePack(plan.PackId));
                OnStep?.Invoke("indexed");
                DeleteFile(plan.Path);
                OnStep?.Invoke("deleted");
                freed += plan.Size;
                deleted++;
            }
            else if (plan.Action == PackAction.Rewrite && Rewrite(plan, n =>
            {
                copied += n;
                _progress?.Report(new ProgressInfo("gc", copied, toCopy));
            }) is { } newSize)
            {
                freed += plan.Size - newSize;
                rewritten++;
            }
        }

        // Rows of chunks nothing reaches; those of rewritten or deleted packs are already gone.
        _database.InTransaction(() =>
        {
            foreach (var id in deadChunkRows)
            {
                _database.DeleteChunk(id);
            }
        });

        // A rewrite may have just published a pack under a leftover's name (the same live entries, rewritten after a crash).
        var indexedNow = _database.ListPacks().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var leftoversDeleted = 0;
        foreach (var (path, size) in leftovers)
        {
            if (!indexedNow.Contains(Path.GetFileName(path)) && DeleteFile(path))
            {
                freed += size;
                leftoversDeleted++;
            }
        }

        FileSystemSync.FlushDirectory(_packDirectory);
        return new GarbageCollectionResult(false, freed, deadChunkRows.Count, deadObjects.Count, rewritten, deleted, leftoversDeleted, bytesBefore, bytesBefore - freed, _warnings) { PromisedChunks = _promised };
    }

    /// <summary>Everything reachable from the roots; throws, before anything changes, when part of it is missing.</summary>
    private (HashSet<ObjectId> Chunks, HashSet<ObjectId> Objects) Mark(IReadOnlyList<KeyValuePair<string, ObjectId>> roots, CancellationToken cancellationToken)
    {
        var chunks = new HashSet<ObjectId>();
        _promised = 0;
        var walker = new GraphWalker(_store);
        foreach (var (name, target) in roots)
        {
            foreach (var node in walker.Walk([target]))
            {
                if (node.IsMissing)
                {
                    throw node.ChildOf is null && node.Kind == ObjectKind.Commit && node.Id == target
                        ? new ObjectNotFoundException($"gc stopped before changing anything: {name} points at {target.ToShortString()}, which is missing or corrupt; run 'lmvp fsck'.")
                        : new ObjectNotFoundException($"gc stopped before changing anything: {node.Kind.ToString().ToLowerInvariant()} {node.Id.ToShortString()} ({node.Where}) is {(node.Problem == GraphNode.Absent ? "missing" : "corrupt")}; run 'lmvp fsck'.");
                }

                if (node.Manifest is { } manifest)
                {
                    var fresh = manifest.Chunks.Where(c => chunks.Add(c.Id)).Select(c => c.Id).ToList();
                    var indexed = fresh.Count == 0 ? [] : _database.FindExistingChunks(fresh);
                    foreach (var id in fresh)
                    {
                        if (!indexed.Contains(id) && _database.GetPromisingRemote(manifest.FileId) is not null)
                        {
                            _promised++; // live, but kept by the remote that promises it (a partial clone): not damage
                        }
                        else if (!indexed.Contains(id))
                        {
                            throw new ObjectNotFoundException($"gc stopped before changing anything: chunk {id.ToShortString()} of file {manifest.FileId.ToShortString()} is missing from the index; run 'lmvp fsck'.");
                        }
                    }
                }
            }
        }

        var objects = new HashSet<ObjectId>(walker.Commits);
        objects.UnionWith(walker.Trees);
        objects.UnionWith(walker.Files);
        return (chunks, objects);
    }

    private List<PackPlan> Plan(HashSet<ObjectId> liveChunks, HashSet<ObjectId> liveObjects, CancellationToken cancellationToken)
    {
        var plans = new List<PackPlan>();
        var kept = new HashSet<ObjectId>();
        foreach (var (packId, name, _) in _database.ListPacks())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(_packDirectory, name);
            var rows = new Dictionary<long, ObjectId>();
            var liveRows = 0;
            foreach (var (id, location) in _database.ListChunksInPack(packId))
            {
                rows[location.Offset] = id;
                if (liveChunks.Contains(id))
                {
                    liveRows++;
                }
            }

            if (!File.Exists(path))
            {
                if (liveRows > 0)
                {
                    throw new ObjectNotFoundException($"gc stopped before changing anything: pack {name} holds reachable chunks and is missing; run 'lmvp fsck'.");
                }

                plans.Add(new PackPlan(packId, path, PackAction.Delete, 0, 0, []));
                continue;
            }

            List<PackEntry> entries;
            bool trailerOk;
            long size;
            using (var reader = PackReader.Open(path))
            {
                size = reader.Length;
                try
                {
                    entries = [.. reader.ReadTrailer()];
                    trailerOk = true;
                }
                catch (CorruptObjectException)
                {
                    entries = [.. reader.ScanEntries()];
                    trailerOk = false;
                }
            }

            var live = new List<PackEntry>();
            var liveChunkEntries = 0;
            foreach (var e in entries.OrderBy(e => e.Offset))
            {
                var isLive = e.Kind == ObjectKind.Chunk
                    ? rows.TryGetValue(e.Offset, out var id) && id == e.Id && liveChunks.Contains(id)
                    : liveObjects.Contains(e.Id) && kept.Add(e.Id);
                if (isLive)
                {
                    live.Add(e);
                    liveChunkEntries += e.Kind == ObjectKind.Chunk ? 1 : 0;
                }
            }

            if (liveChunkEntries != liveRows)
            {
                throw new CorruptObjectException($"gc stopped before changing anything: the index places reachable chunks in {name} where the pack does not hold them; run 'lmvp fsck'.");
            }

            var newSize = live.Count == 0 ? 0
                : PackFormat.HeaderSize + live.Sum(e => (long)PackFormat.EntryHeaderSize + e.StoredLength) + ((long)live.Count * PackFormat.TrailerEntrySize) + PackFormat.FooterSize;
            var action = live.Count == entries.Count && trailerOk ? PackAction.Keep : live.Count == 0 ? PackAction.Delete : PackAction.Rewrite;
            if (action != PackAction.Keep)
            {
                plans.Add(new PackPlan(packId, path, action, size, newSize, live));
            }
        }

        return plans;
    }

    /// <summary>Pack files the index does not name: temporaries no writer holds open, and finished packs past the grace period.</summary>
    private List<(string Path, long Size)> Leftovers()
    {
        var indexed = _database.ListPacks().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var list = new List<(string, long)>();
        foreach (var path in Directory.EnumerateFiles(_packDirectory, "*" + PackFormat.Extension))
        {
            var name = Path.GetFileName(path);
            var info = new FileInfo(path);
            if (name.StartsWith(PackFormat.TempPrefix, StringComparison.Ordinal))
            {
                if (!MaintenanceLock.IsInUse(path))
                {
                    list.Add((path, info.Length));
                }
            }
            else if (!indexed.Contains(name) && DateTime.UtcNow - info.LastWriteTimeUtc > OrphanGrace)
            {
                list.Add((path, info.Length));
            }
        }

        return list;
    }

    /// <summary>Copies a pack's live entries to a new pack and swaps it in; returns the new size, or null when a live entry is corrupt.</summary>
    private long? Rewrite(PackPlan plan, Action<long> onCopied)
    {
        var name = Path.GetFileName(plan.Path);
        var moved = new List<(PackEntry Old, PackEntry New)>(plan.Live.Count);
        string newName;
        using (var reader = PackReader.Open(plan.Path))
        using (var pack = new PackFile(_packDirectory))
        using (var decompressor = new ZstdDecompressor())
        {
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                foreach (var entry in plan.Live)
                {
                    var length = PackFormat.EntryHeaderSize + entry.StoredLength;
                    if (buffer.Length < length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(length);
                    }

                    string? error;
                    try
                    {
                        reader.ReadAt(entry.Offset, buffer.AsSpan(0, length));
                        error = PackVerifier.VerifyEntry(entry, buffer.AsSpan(0, PackFormat.EntryHeaderSize), buffer.AsSpan(PackFormat.EntryHeaderSize, entry.StoredLength),
                            decompressor, keepRaw: false, out _);
                    }
                    catch (CorruptObjectException e)
                    {
                        error = e.Message.TrimEnd('.');
                    }

                    if (error is not null)
                    {
                        // Copying would hide the damage behind a fresh trailer; leave the pack as it is for fsck to report.
                        _warnings.Add($"pack {name} was not rewritten: {entry.Kind.ToString().ToLowerInvariant()} {entry.Id.ToShortString()} at offset {entry.Offset} is corrupt ({error}); run 'lmvp fsck'");
                        return null;
                    }

                    moved.Add((entry, pack.Writer.AppendStored(entry, buffer.AsSpan(PackFormat.EntryHeaderSize, entry.StoredLength))));
                    onCopied(length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            newName = pack.Publish();
        }

        OnStep?.Invoke("published");

        var newSize = new FileInfo(Path.Combine(_packDirectory, newName)).Length;
        _database.InTransaction(() =>
        {
            var newId = _database.AddPack(newName, newSize);
            foreach (var (old, now) in moved)
            {
                if (old.Kind == ObjectKind.Chunk)
                {
                    _database.UpdateChunkLocation(old.Id, newId, now);
                }
            }

            if (newId != plan.PackId)
            {
                _database.DeletePack(plan.PackId);
            }
        });

        OnStep?.Invoke("indexed");

        // The same name means the same entries (a pack whose only fault was its trailer): the rename already replaced it.
        if (newName != name)
        {
            DeleteFile(plan.Path);
        }

        OnStep?.Invoke("deleted");

        return newSize;
    }

    private static bool DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed record PackPlan(long PackId, string Path, PackAction Action, long Size, long NewSize, List<PackEntry> Live);
}
