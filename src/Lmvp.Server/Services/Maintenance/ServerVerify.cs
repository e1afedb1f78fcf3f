using System.Buffers;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Services.Maintenance;

/// <summary>What <c>lmvp-server admin verify</c> found in one repository.</summary>
internal sealed class VerifyReport(RepositoryRecord repository)
{
    public RepositoryRecord Repository { get; } = repository;

    public int Packs { get; set; }

    public int Chunks { get; set; }

    public long Bytes { get; set; }

    public int Objects { get; set; }

    /// <summary>Damaged or missing chunks: where, what is wrong, and who uses them.</summary>
    public List<(ObjectId Chunk, string Problem, List<string> Usages)> DamagedChunks { get; } = [];

    /// <summary>Other problems (missing or damaged objects, damaged pack trailers).</summary>
    public List<string> Problems { get; } = [];

    public bool IsClean => DamagedChunks.Count == 0 && Problems.Count == 0;

    public IEnumerable<string> Lines()
    {
        var name = Repository.FullName;
        yield return IsClean
            ? $"{name}: ok: {Packs} packs, {Chunks} chunks ({Bytes} bytes) and {Objects} objects verified"
            : $"{name}: DAMAGED: {DamagedChunks.Count} damaged chunks, {Problems.Count} other problems ({Packs} packs, {Chunks} chunks, {Objects} objects read)";
        foreach (var (chunk, problem, usages) in DamagedChunks)
        {
            yield return $"  chunk {chunk}: {problem}";
            foreach (var usage in usages)
            {
                yield return "    " + usage;
            }
        }

        foreach (var problem in Problems)
        {
            yield return "  " + problem;
        }
    }
}

/// <summary>Reads every pack of a repository, checking every indexed chunk against its id, every pack trailer, and every object its
/// refs reach; names each damaged chunk with the files, commits and refs that use it.</summary>
internal static class ServerVerify
{
    /// <summary>The most bytes read from a pack at once.</summary>
    private const int RunBytes = 8 << 20;

    /// <summary>At most this many usages are listed per damaged chunk.</summary>
    private const int MaxUsages = 20;

    public static async Task<VerifyReport> RunAsync(ServerStorage storage, RepositoryRecord repository, CancellationToken cancellationToken)
    {
        var report = new VerifyReport(repository);
        var index = storage.Metadata.Chunks;
        var (ids, byPack) = await EntriesByPackAsync(index, repository.Id, cancellationToken).ConfigureAwait(false);
        var damaged = new Dictionary<ObjectId, string>();
        foreach (var pack in (await index.ListPacksAsync(repository.Id, cancellationToken).ConfigureAwait(false)))
        {
            report.Packs++;
            var blob = ChunkStore.BlobName(repository.Id, pack.Name);
            var entries = byPack.TryGetValue(pack.Name, out var inPack) ? inPack : [];
            var length = await storage.Blobs.GetLengthAsync(blob, cancellationToken).ConfigureAwait(false);
            if (length is null)
            {
                foreach (var e in entries)
                {
                    damaged[e.Id] = $"its pack {pack.Name} is missing from the blob store";
                }

                continue;
            }

            try
            {
                await storage.Chunks.ReadTrailerAsync(blob, length.Value, cancellationToken).ConfigureAwait(false);
            }
            catch (CorruptObjectException e)
            {
                report.Problems.Add($"pack {pack.Name}: its trailer is damaged ({e.Message}); the index still locates its chunks, but the pack cannot be re-indexed from itself");
            }

            await VerifyEntriesAsync(storage.Blobs, blob, pack.Name, entries, damaged, report, cancellationToken).ConfigureAwait(false);
        }

        // The objects the refs reach, and that every chunk their files list is indexed.
        var graph = new RepositoryGraph(repository, storage.Metadata.Objects, storage.Metadata.Refs, storage.Chunks, new ObjectCache());
        var refs = await storage.Metadata.Refs.ListRefsAsync(repository.Id, cancellationToken).ConfigureAwait(false);
        var indexed = ids.ToHashSet();
        var walker = new GraphWalker(graph);
        await foreach (var node in walker.WalkAsync(refs.Select(r => r.Value), cancellationToken).ConfigureAwait(false))
        {
            report.Objects++;
            if (node.IsMissing)
            {
                report.Problems.Add($"{Closure.Describe(node.Kind)} {node.Id} ({node.Where}) is {(node.Problem == GraphNode.Absent ? "missing" : "damaged: " + node.Problem)}");
            }
            else if (node.Manifest is { } manifest)
            {
                foreach (var chunk in manifest.Chunks.Where(c => !indexed.Contains(c.Id)))
                {
                    damaged.TryAdd(chunk.Id, "it is missing: no pack holds it");
                }
            }
        }

        if (damaged.Count > 0)
        {
            var usages = await FindUsagesAsync(graph, refs, damaged.Keys.ToHashSet(), cancellationToken).ConfigureAwait(false);
            foreach (var (chunk, problem) in damaged.OrderBy(d => d.Key))
            {
                report.DamagedChunks.Add((chunk, problem, usages.TryGetValue(chunk, out var u) ? u : ["used by no file that a ref reaches"]));
            }
        }

        return report;
    }

    private const int SqlBatch = 500;

    /// <summary>Every indexed chunk of a repository, and the index entries of each pack in offset order.</summary>
    public static async Task<(List<ObjectId> Ids, Dictionary<string, List<PackEntry>> ByPack)> EntriesByPackAsync(IChunkIndex index, long repositoryId,
        CancellationToken cancellationToken)
    {
        var ids = (await index.ListChunksAsync(repositoryId, cancellationToken).ConfigureAwait(false)).Select(c => c.Id).ToList();
        var byPack = new Dictionary<string, List<PackEntry>>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i += SqlBatch)
        {
            var batch = ids.GetRange(i, Math.Min(SqlBatch, ids.Count - i));
            foreach (var location in (await index.LookupAsync(repositoryId, batch, cancellationToken).ConfigureAwait(false)).OfType<ChunkLocation>())
            {
                (byPack.TryGetValue(location.Pack, out var list) ? list : byPack[location.Pack] = []).Add(location.Entry);
            }
        }

        foreach (var list in byPack.Values)
        {
            list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        }

        return (ids, byPack);
    }

    /// <summary>Reads <paramref name="entries"/> (in offset order) from a pack blob, decoding and hashing each; what fails goes into
    /// <paramref name="damaged"/>.</summary>
    public static async Task VerifyEntriesAsync(IBlobStore blobs, string blob, string pack, List<PackEntry> entries, Dictionary<ObjectId, string> damaged,
        VerifyReport report, CancellationToken cancellationToken)
    {
        var run = ArrayPool<byte>.Shared.Rent(RunBytes + PackFormat.MaxEntrySize);
        var raw = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var i = 0;
            while (i < entries.Count)
            {
                // A run of neighbouring entries read with one range read.
                var start = entries[i].DataOffset;
                var end = i;
                var runEnd = start + entries[i].StoredLength;
                while (end + 1 < entries.Count && entries[end + 1].DataOffset + entries[end + 1].StoredLength - start <= RunBytes && entries[end + 1].DataOffset >= runEnd)
                {
                    end++;
                    runEnd = entries[end].DataOffset + entries[end].StoredLength;
                }

                var length = (int)(runEnd - start);
                var got = 0;
                try
                {
                    while (got < length)
                    {
                        var n = await blobs.ReadAsync(blob, start + got, run.AsMemory(got, length - got), cancellationToken).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        got += n;
                    }
                }
                catch (IOException e)
                {
                    report.Problems.Add($"pack {pack}: could not be read at {start}: {e.Message}");
                }

                for (var k = i; k <= end; k++)
                {
                    var e = entries[k];
                    var at = (int)(e.DataOffset - start);
                    report.Chunks++;
                    report.Bytes += e.StoredLength;
                    if (at + e.StoredLength > got)
                    {
                        damaged[e.Id] = $"pack {pack} ends before its bytes (offset {e.Offset})";
                        continue;
                    }

                    if (raw.Length < e.RawLength)
                    {
                        ArrayPool<byte>.Shared.Return(raw);
                        raw = ArrayPool<byte>.Shared.Rent(e.RawLength);
                    }

                    try
                    {
                        PackFormat.DecodeEntry(e, run.AsSpan(at, e.StoredLength), raw.AsSpan(0, e.RawLength));
                    }
                    catch (CorruptObjectException x)
                    {
                        damaged[e.Id] = $"in pack {pack} at offset {e.Offset}: {x.Message}";
                    }
                }

                i = end + 1;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(run);
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>For each damaged chunk, "path in commit X (subject); refs: ..." for the files that use it, newest commits first.</summary>
    private static async Task<Dictionary<ObjectId, List<string>>> FindUsagesAsync(RepositoryGraph graph, IReadOnlyList<KeyValuePair<string, ObjectId>> refs,
        HashSet<ObjectId> chunks, CancellationToken cancellationToken)
    {
        // Files whose manifest lists a damaged chunk, then every commit any ref reaches, searched for those files.
        var walker = new GraphWalker(graph);
        var filesOf = new Dictionary<ObjectId, List<ObjectId>>();
        await foreach (var node in walker.WalkAsync(refs.Select(r => r.Value), cancellationToken).ConfigureAwait(false))
        {
            if (node.Manifest is { } manifest)
            {
                foreach (var c in manifest.Chunks.Select(c => c.Id).Distinct().Where(chunks.Contains))
                {
                    (filesOf.TryGetValue(node.Id, out var list) ? list : filesOf[node.Id] = []).Add(c);
                }
            }
        }

        var refsOfCommit = new Dictionary<ObjectId, List<string>>();
        var commits = new Dictionary<ObjectId, Commit>();
        foreach (var (name, tip) in refs)
        {
            await foreach (var commit in History.WalkAsync(graph, tip, cancellationToken).ConfigureAwait(false))
            {
                commits.TryAdd(commit.Id, commit);
                (refsOfCommit.TryGetValue(commit.Id, out var names) ? names : refsOfCommit[commit.Id] = []).Add(name);
            }
        }

        var usages = new Dictionary<ObjectId, List<string>>();
        foreach (var commit in commits.Values.OrderByDescending(c => c.Time))
        {
            await foreach (var (path, entry) in TreeWalk.FlattenAsync(graph, commit.TreeId, cancellationToken).ConfigureAwait(false))
            {
                if (!filesOf.TryGetValue(entry.Id, out var hit))
                {
                    continue;
                }

                foreach (var chunk in hit)
                {
                    var list = usages.TryGetValue(chunk, out var l) ? l : usages[chunk] = [];
                    if (list.Count < MaxUsages)
                    {
                        list.Add($"used by {path} in commit {commit.Id.ToShortString()} ({commit.Subject}); refs: {string.Join(", ", refsOfCommit[commit.Id].Distinct())}");
                    }
                }
            }
        }

        return usages;
    }
}
