using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Protocol;

namespace Lmvp.Server.Services;

/// <summary>Something a repository's refs reach that the server cannot serve intact, with who uses it.</summary>
/// <param name="Kind">A chunk, or a commit, tree or manifest missing from the metadata.</param>
/// <param name="Id">Its id.</param>
/// <param name="Problem">One line: what is wrong with the stored copy.</param>
/// <param name="UsedBy">Up to <see cref="StorageVerifier.MaxUsesListed"/> places that need it: "file 'a.bin' in commit 1a2b3c4d (refs/heads/main)".</param>
internal sealed record StorageProblem(ObjectKind Kind, ObjectId Id, string Problem, IReadOnlyList<string> UsedBy);

/// <summary>What verifying one repository found.</summary>
/// <param name="Repository">owner/name.</param>
/// <param name="Chunks">Chunks read and hashed.</param>
/// <param name="Bytes">Their raw bytes.</param>
/// <param name="Problems">Everything damaged or missing, with its users.</param>
internal sealed record RepositoryVerification(string Repository, long Chunks, long Bytes, IReadOnlyList<StorageProblem> Problems);

/// <summary><c>lmvp-server admin verify</c>: reads back every chunk that a repository's refs (and its recent ref history) reach, from
/// the packs in the blob store, hashing each against its id, and names what uses each damaged one.</summary>
/// <remarks>One walk of the graph collects the chunk ids, which are then read in index order, a batch at a time, through the same
/// <see cref="ChunkStore.ReadManyAsync(long, IReadOnlyList{ObjectId}, CancellationToken)"/> that serves clones, so what verify calls
/// damaged is exactly what a clone would be refused. Only when something is damaged is the graph walked again, ref by ref, to name
/// its files, commits and refs. Memory: the set of chunk ids (about 40 bytes each), not the data.</remarks>
internal sealed class StorageVerifier(IRefStore refs, ChunkStore chunks, RepositoryGraphs graphs)
{
    /// <summary>How many users of one damaged object are listed.</summary>
    public const int MaxUsesListed = 10;

    /// <summary>How far back the ref history keeps commits in view (as gc would keep them).</summary>
    public static readonly TimeSpan HistoryRetention = TimeSpan.FromDays(14);

    /// <summary>Verifies one repository; <paramref name="progress"/> gets the chunks read so far.</summary>
    public async Task<RepositoryVerification> VerifyAsync(RepositoryRecord repository, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var graph = graphs.For(repository);
        var roots = await refs.ListRetainedTargetsAsync(repository.Id, DateTimeOffset.UtcNow - HistoryRetention, cancellationToken).ConfigureAwait(false);
        var problems = new Dictionary<ObjectId, StorageProblem>();
        var lengths = new Dictionary<ObjectId, int>();
        await foreach (var node in new GraphWalker(graph).WalkAsync(roots, cancellationToken).ConfigureAwait(false))
        {
            if (node.IsMissing)
            {
                problems.TryAdd(node.Id, new StorageProblem(node.Kind, node.Id, node.Problem == GraphNode.Absent ? "missing from the metadata" : node.Problem!, []));
            }
            else if (node.Manifest is { } manifest)
            {
                foreach (var c in manifest.Chunks)
                {
                    lengths.TryAdd(c.Id, c.Length);
                }
            }
        }

        long read = 0;
        long bytes = 0;
        var ids = lengths.Keys.ToList();
        for (var start = 0; start < ids.Count; start += ProtocolLimits.MaxIdsPerRequest)
        {
            var batch = ids.GetRange(start, Math.Min(ProtocolLimits.MaxIdsPerRequest, ids.Count - start));
            var next = 0;
            while (next < batch.Count)
            {
                var rest = batch.GetRange(next, batch.Count - next);
                try
                {
                    await foreach (var chunk in chunks.ReadManyAsync(repository.Id, rest, verify: true, cancellationToken).ConfigureAwait(false))
                    {
                        if (chunk.Data.Length != lengths[chunk.Id])
                        {
                            problems.TryAdd(chunk.Id, new StorageProblem(ObjectKind.Chunk, chunk.Id,
                                $"it is {chunk.Data.Length} bytes, but manifests list it as {lengths[chunk.Id]}", []));
                        }

                        next++;
                        read++;
                        bytes += chunk.Data.Length;
                    }
                }
                catch (DamagedDataException e) when (e.Kind == ObjectKind.Chunk)
                {
                    // Reads stop at the first damaged chunk; the ones before it were good, so go on after it.
                    problems.TryAdd(e.Id, new StorageProblem(ObjectKind.Chunk, e.Id, e.Message, []));
                    next += rest.IndexOf(e.Id) + 1;
                }
                catch (ObjectNotFoundException)
                {
                    var missing = await chunks.FindMissingAsync(repository.Id, rest, cancellationToken).ConfigureAwait(false);
                    foreach (var id in missing)
                    {
                        problems.TryAdd(id, new StorageProblem(ObjectKind.Chunk, id, "missing from the chunk index", []));
                    }

                    var gone = missing.ToHashSet();
                    batch = [.. batch.Where((id, i) => i < next || !gone.Contains(id))];
                }

                progress?.Report(read);
            }
        }

        var list = problems.Count == 0 ? [] : await WithUsersAsync(graph, repository.Id, problems, cancellationToken).ConfigureAwait(false);
        return new RepositoryVerification(repository.FullName, read, bytes, list);
    }

    /// <summary>Walks from each ref (and each recent history entry) to find the files and commits that use each problem.</summary>
    private async Task<IReadOnlyList<StorageProblem>> WithUsersAsync(RepositoryGraph graph, long repositoryId, Dictionary<ObjectId, StorageProblem> problems,
        CancellationToken cancellationToken)
    {
        var uses = problems.Keys.ToDictionary(id => id, _ => new List<string>());
        var roots = (await refs.ListRefsAsync(repositoryId, cancellationToken).ConfigureAwait(false)).Select(r => (Name: r.Key, Target: r.Value)).ToList();
        var current = roots.Select(r => r.Target).ToHashSet();
        roots.AddRange((await refs.ListRetainedTargetsAsync(repositoryId, DateTimeOffset.UtcNow - HistoryRetention, cancellationToken).ConfigureAwait(false))
            .Where(t => !current.Contains(t)).Select(t => (Name: "the ref history", Target: t)));
        foreach (var (name, target) in roots)
        {
            await foreach (var node in new GraphWalker(graph).WalkAsync([target], cancellationToken).ConfigureAwait(false))
            {
                var where = $"in commit {node.Through.ToShortString()} ({name})";
                if (node.IsMissing && uses.TryGetValue(node.Id, out var direct))
                {
                    Add(direct, node.Kind == ObjectKind.Commit ? $"commit {node.Id.ToShortString()} ({name})" : $"'{node.Path}' {where}");
                }
                else if (node.Manifest is { } manifest)
                {
                    foreach (var c in manifest.Chunks)
                    {
                        if (uses.TryGetValue(c.Id, out var list))
                        {
                            Add(list, $"file '{node.Path}' ({manifest.FileId.ToShortString()}) {where}");
                        }
                    }
                }
            }
        }

        return [.. problems.Values.Select(p => p with { UsedBy = uses[p.Id] })];

        static void Add(List<string> list, string use)
        {
            if (list.Count < MaxUsesListed && !list.Contains(use))
            {
                list.Add(use);
            }
        }
    }
}
