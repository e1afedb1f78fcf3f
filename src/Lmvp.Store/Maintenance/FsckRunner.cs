using System.Diagnostics;
using Lmvp.Store.Graph;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Refs;

namespace Lmvp.Store.Maintenance;

/// <summary>One fsck pass: the database, every pack byte, every chunk row, every object, every file against its id, and the closure
/// of every ref.</summary>
/// <remarks>Reads only. Packs are streamed (see <see cref="PackVerifier"/>); then every file whose chunks are all intact is read in
/// order and hashed, since a manifest can list chunks that are each intact but do not make up the file its id names (a push from a
/// server that accepted such a manifest). What is kept in memory is one pack's entry list, the set of chunk ids manifests name, the
/// ids of the files to hash, and the ids of the commits, trees and files reachable from refs.</remarks>
internal sealed class FsckRunner
{
    /// <summary>At most this many (path, commit) pairs are listed per broken chunk or file.</summary>
    public const int MaxUsages = 100;

    private readonly RepositoryDatabase _database;
    private readonly ObjectStore _store;
    private readonly string _packDirectory;
    private readonly IProgress<ProgressInfo>? _progress;
    private readonly List<FsckProblem> _problems = [];
    private readonly List<string> _notes = [];
    private readonly Dictionary<ObjectId, List<string>> _badChunks = [];
    private readonly Dictionary<ObjectId, string> _badFiles = [];
    private long _bytesDone;
    private long _bytesTotal;

    public FsckRunner(ObjectStore store, IProgress<ProgressInfo>? progress)
    {
        _store = store;
        _database = store.Database;
        _packDirectory = store.Packs.Directory;
        _progress = progress;
    }

    public FsckReport Run(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var integrity = _database.QuickCheck();
        if (integrity != "ok")
        {
            _problems.Add(Problem(FsckProblemKind.Database, "lmvp.db", $"The index database is damaged: {integrity}"));
        }

        var (packs, chunks) = CheckPacks(cancellationToken);
        var (objects, files) = CheckObjects(cancellationToken);
        CheckFiles(files, cancellationToken);
        CheckRefs(cancellationToken);
        ReportChunksAndFiles(cancellationToken);
        var problems = _problems.Select((p, i) => (p, i)).OrderBy(x => x.p.Kind).ThenBy(x => x.i).Select(x => x.p).ToList();
        return new FsckReport(objects, chunks, packs, _bytesDone, clock.Elapsed, problems, _notes) { PromisedChunks = PromisedChunks, PromisedBytes = PromisedBytes };
    }

    private (int Packs, long Chunks) CheckPacks(CancellationToken cancellationToken)
    {
        var indexed = _database.ListPacks();
        var names = Directory.Exists(_packDirectory)
            ? Directory.EnumerateFiles(_packDirectory, "*" + PackFormat.Extension).Select(p => Path.GetFileName(p)).ToList()
            : [];
        var temporaries = names.Count(n => n.StartsWith(PackFormat.TempPrefix, StringComparison.Ordinal));
        var indexedNames = indexed.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var unindexed = names.Where(n => !n.StartsWith(PackFormat.TempPrefix, StringComparison.Ordinal) && !indexedNames.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (temporaries > 0)
        {
            _notes.Add($"{temporaries} temporary pack{(temporaries == 1 ? "" : "s")} (a commit that is running or was interrupted; 'lmvp gc' removes stale ones)");
        }

        foreach (var name in unindexed)
        {
            _notes.Add($"pack {name} is not in the index (left by an interrupted commit or gc; 'lmvp gc' removes it after an hour, 'lmvp fsck --rebuild-index' indexes it)");
        }

        _bytesTotal = indexed.Select(p => p.Name).Concat(unindexed).Sum(n => new FileInfo(Path.Combine(_packDirectory, n)) is { Exists: true } f ? f.Length : 0);
        _progress?.Report(new ProgressInfo("fsck", 0, _bytesTotal));
        long chunks = 0;
        var packs = 0;
        foreach (var (packId, name, size) in indexed)
        {
            var path = Path.Combine(_packDirectory, name);
            Dictionary<long, EntryCheck> byOffset = [];
            string? packMissing = null;
            if (!File.Exists(path))
            {
                packMissing = $"its pack {name} is missing";
                _problems.Add(Problem(FsckProblemKind.Pack, name, $"Pack {name} is in the index but missing from {_packDirectory}."));
            }
            else
            {
                packs++;
                var verification = VerifyPack(path, cancellationToken);
                if (verification.Length != size)
                {
                    _problems.Add(Problem(FsckProblemKind.Pack, name, $"Pack {name} is {verification.Length} bytes; the index recorded {size}."));
                }

                foreach (var e in verification.Entries)
                {
                    byOffset.TryAdd(e.Entry.Offset, e);
                }
            }

            var referenced = new HashSet<long>();
            foreach (var (id, location) in _database.ListChunksInPack(packId))
            {
                chunks++;
                referenced.Add(location.Offset);
                if (packMissing is not null)
                {
                    AddBadChunk(id, packMissing);
                }
                else if (!byOffset.TryGetValue(location.Offset, out var check) || check.Entry != location.ToEntry(id))
                {
                    AddBadChunk(id, $"the index places it in {name} at offset {location.Offset}, where the pack holds no such entry");
                }
                else if (!check.IsOk)
                {
                    AddBadChunk(id, $"{name} offset {location.Offset}: {check.Error}");
                }
            }

            ReportEntryErrors(name, byOffset.Values.Where(e => !(e.Entry.Kind == ObjectKind.Chunk && referenced.Contains(e.Entry.Offset))));
        }

        foreach (var name in unindexed)
        {
            packs++;
            var verification = VerifyPack(Path.Combine(_packDirectory, name), cancellationToken);
            ReportEntryErrors(name, verification.Entries);
        }

        foreach (var (id, location) in _database.ListChunksWithoutPack())
        {
            chunks++;
            AddBadChunk(id, $"the index places it in pack #{location.PackId}, which the index does not list");
        }

        return (packs, chunks);
    }

    private PackVerification VerifyPack(string path, CancellationToken cancellationToken)
    {
        PackVerification verification;
        try
        {
            verification = PackVerifier.Verify(path, CompareManifestCopy, n =>
            {
                _bytesDone += n;
                _progress?.Report(new ProgressInfo("fsck", _bytesDone, _bytesTotal));
            }, cancellationToken);
        }
        catch (IOException e)
        {
            _problems.Add(Problem(FsckProblemKind.Pack, Path.GetFileName(path), $"Pack {Path.GetFileName(path)} cannot be read: {e.Message}"));
            return new PackVerification(Path.GetFileName(path), -1);
        }

        foreach (var error in verification.StructureErrors)
        {
            _problems.Add(Problem(FsckProblemKind.Pack, verification.Name, error));
        }

        return verification;

        void CompareManifestCopy(PackEntry entry, byte[] raw)
        {
            // Trees and commits verify by hash; a manifest is keyed by its file id, so its pack copy is also held against the index's.
            if (entry.Kind == ObjectKind.Manifest && _database.TryGetObject(entry.Id, ObjectKind.Manifest, out var data)
                && !data.AsSpan().SequenceEqual(raw))
            {
                _problems.Add(Problem(FsckProblemKind.Pack, Path.GetFileName(path),
                    $"Pack {Path.GetFileName(path)}: the manifest of file {entry.Id.ToShortString()} at offset {entry.Offset} differs from the index's copy."));
            }
        }
    }

    /// <summary>Broken entries that are not the indexed copy of a chunk: damage in the pack, but nothing reads it through the index.</summary>
    private void ReportEntryErrors(string name, IEnumerable<EntryCheck> entries)
    {
        foreach (var e in entries.Where(e => !e.IsOk).OrderBy(e => e.Entry.Offset))
        {
            var unused = e.Entry.Kind == ObjectKind.Chunk ? " (the index does not point at this copy)" : "";
            _problems.Add(Problem(FsckProblemKind.Pack, name,
                $"Pack {name}: {e.Entry.Kind.ToString().ToLowerInvariant()} {e.Entry.Id.ToShortString()} at offset {e.Entry.Offset} is corrupt: {e.Error}{unused}."));
        }
    }

    private (long Count, List<ObjectId> Files) CheckObjects(CancellationToken cancellationToken)
    {
        long count = 0;
        var listed = new HashSet<ObjectId>();
        var files = new List<ObjectId>();
        var absent = new Dictionary<ObjectId, (int Length, string? Remote)>();
        foreach (var (id, kind, data) in _database.ListObjects())
        {
            cancellationToken.ThrowIfCancellationRequested();
            count++;
            try
            {
                switch (kind)
                {
                    case ObjectKind.Tree:
                        Tree.Decode(data, id);
                        break;
                    case ObjectKind.Commit:
                        Commit.Decode(data, id);
                        break;
                    case ObjectKind.Manifest:
                        var manifest = FileManifest.Decode(data, id);
                        files.Add(id);
                        foreach (var c in manifest.Chunks)
                        {
                            if (!listed.Add(c.Id))
                            {
                                // A chunk another file lacks too is still promised if any file that names it is.
                                if (absent.TryGetValue(c.Id, out var seen) && seen.Remote is null && _database.GetPromisingRemote(id) is { } remote)
                                {
                                    absent[c.Id] = (seen.Length, remote);
                                }

                                continue;
                            }

                            if (!_database.TryGetChunk(c.Id, out var location))
                            {
                                absent[c.Id] = (c.Length, _database.GetPromisingRemote(id));
                            }
                            else if (location.RawLength != c.Length)
                            {
                                AddBadChunk(c.Id, $"file {id.ToShortString()} lists it as {c.Length} bytes, the index as {location.RawLength}");
                            }
                        }

                        break;
                    default:
                        _problems.Add(Problem(FsckProblemKind.Object, id.ToString(), $"Object {id.ToShortString()} has unknown kind {(int)kind}."));
                        break;
                }
            }
            catch (CorruptObjectException e)
            {
                if (kind == ObjectKind.Manifest)
                {
                    _badFiles.TryAdd(id, e.Message.TrimEnd('.'));
                }
                else
                {
                    _problems.Add(Problem(FsckProblemKind.Object, id.ToString(), e.Message));
                }
            }
        }

        foreach (var (chunk, (_, remote)) in absent)
        {
            if (remote is null)
            {
                AddBadChunk(chunk, "the index has no such chunk");
            }
        }

        foreach (var group in absent.Values.Where(a => a.Remote is not null).GroupBy(a => a.Remote!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var bytes = group.Sum(a => (long)a.Length);
            PromisedChunks += group.Count();
            PromisedBytes += bytes;
            _notes.Add($"{group.Count()} chunk{(group.Count() == 1 ? "" : "s")} ({Sync.PromisedChunks.FormatBytes(bytes)}) of older versions are not here: "
                + $"remote '{group.Key}' promises them (checkout fetches them on demand; 'lmvp fetch --all-chunks {group.Key}' brings them all)");
        }

        return (count, files);
    }

    /// <summary>Hashes every file whose chunks are all intact, in order, and holds the result against its id.</summary>
    private void CheckFiles(List<ObjectId> files, CancellationToken cancellationToken)
    {
        var manifests = new List<FileManifest>(files.Count);
        long total = 0;
        foreach (var id in files)
        {
            if (_badFiles.ContainsKey(id) || _store.FindManifest(id) is not { } manifest || manifest.Chunks.Any(c => _badChunks.ContainsKey(c.Id)))
            {
                continue; // a broken chunk is reported with the files that use it
            }

            manifests.Add(manifest);
            total += manifest.Size;
        }

        long done = 0;
        _progress?.Report(new ProgressInfo("fsck files", 0, total));
        var buffer = new byte[manifests.Count == 0 ? 0 : manifests.Max(m => m.Chunks.Count == 0 ? 0 : m.Chunks.Max(c => c.Length))];
        foreach (var manifest in manifests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var hasher = Blake3.Hasher.New();
            var readable = true;
            foreach (var chunk in manifest.Chunks)
            {
                if (!_database.TryGetChunk(chunk.Id, out var location) || location.RawLength != chunk.Length)
                {
                    readable = false;
                    break;
                }

                // Each chunk's own hash was checked with its pack; the file hash covers every byte again.
                try
                {
                    _store.ReadChunk(chunk.Id, location, buffer.AsSpan(0, chunk.Length), verify: false);
                }
                catch (Exception e) when (e is IOException or CorruptObjectException)
                {
                    AddBadChunk(chunk.Id, e.Message.TrimEnd('.'));
                    readable = false;
                    break;
                }

                hasher.Update(buffer.AsSpan(0, chunk.Length));
            }

            done += manifest.Size;
            _progress?.Report(new ProgressInfo("fsck files", done, total));
            if (readable && new ObjectId(hasher.Finalize().AsSpan()) is var actual && actual != manifest.FileId)
            {
                _badFiles.TryAdd(manifest.FileId, $"its chunks hash to {actual.ToShortString()}, not to its id");
            }
        }
    }

    /// <summary>Chunks no pack here holds that a remote promises (a partial clone or fetch left them there).</summary>
    public long PromisedChunks { get; private set; }

    /// <summary>Their raw bytes.</summary>
    public long PromisedBytes { get; private set; }

    private void CheckRefs(CancellationToken cancellationToken)
    {
        var roots = _database.ListRefs("refs/").ToList();
        var head = new LocalRefs(_database);
        if (head.IsDetached)
        {
            roots.Add(new("HEAD", ObjectId.TryParse(head.HeadValue, out var detached) ? detached : ObjectId.Zero));
        }

        var walker = new GraphWalker(_store);
        foreach (var (name, target) in roots)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ReadRoot(target) is { } reason)
            {
                _problems.Add(Problem(FsckProblemKind.Ref, name, reason == GraphNode.Absent
                    ? $"{name} points at {target.ToShortString()}, which is missing."
                    : $"{name} points at {target.ToShortString()}, which cannot be read: {reason.TrimEnd('.')}."));
                continue;
            }

            foreach (var node in walker.Walk([target]))
            {
                if (!node.IsMissing)
                {
                    continue;
                }

                if (node.Kind == ObjectKind.Manifest)
                {
                    _badFiles.TryAdd(node.Id, node.Problem == GraphNode.Absent ? "its manifest is missing" : node.Problem!.TrimEnd('.'));
                }
                else if (node.Problem == GraphNode.Absent)
                {
                    _problems.Add(Problem(FsckProblemKind.Object, node.Id.ToString(),
                        $"{node.Kind.ToString().ToLowerInvariant()} {node.Id.ToShortString()} ({node.Where}) is missing."));
                }

                // A present but corrupt object was reported when the objects were checked.
            }
        }
    }

    /// <summary>Null when a ref's commit can be read, else why not.</summary>
    private string? ReadRoot(ObjectId id)
    {
        try
        {
            if (_store.FindCommit(id) is not null)
            {
                return null;
            }
        }
        catch (CorruptObjectException e)
        {
            return e.Message;
        }

        return _database.TryGetObject(id, out var kind, out _) ? $"a {kind.ToString().ToLowerInvariant()}, not a commit" : GraphNode.Absent;
    }

    private void ReportChunksAndFiles(CancellationToken cancellationToken)
    {
        if (_badChunks.Count == 0 && _badFiles.Count == 0)
        {
            return;
        }

        var usages = new UsageFinder(_database).Find(_badChunks.Keys.ToHashSet(), _badFiles.Keys.ToHashSet(), MaxUsages, cancellationToken);
        foreach (var (id, reasons) in _badChunks)
        {
            var (used, total) = usages.TryGetValue(id, out var u) ? u : ([], 0);
            _problems.Add(new FsckProblem(FsckProblemKind.Chunk, id.ToString(), $"chunk {id.ToShortString()}: {string.Join("; ", reasons)}", used, total));
        }

        foreach (var (id, reason) in _badFiles)
        {
            var (used, total) = usages.TryGetValue(id, out var u) ? u : ([], 0);
            _problems.Add(new FsckProblem(FsckProblemKind.Object, id.ToString(), $"file {id.ToShortString()}: {reason}", used, total));
        }
    }

    private void AddBadChunk(ObjectId id, string reason)
    {
        if (!_badChunks.TryGetValue(id, out var reasons))
        {
            _badChunks[id] = reasons = [];
        }

        if (!reasons.Contains(reason))
        {
            reasons.Add(reason);
        }
    }

    private static FsckProblem Problem(FsckProblemKind kind, string subject, string message) => new(kind, subject, message, [], 0);
}
