using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Lmvp.Store.Index;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Sync;

/// <summary>One push: negotiate what the server lacks, stream it, then move refs by compare-and-swap.</summary>
/// <remarks>
/// Order (docs/PROTOCOL.md): refs, objects/missing, chunks/missing, chunks, objects, refs/update. Chunks go first and the
/// ref moves last, so the server never holds a ref to an incomplete commit; every step is idempotent, so a push killed
/// at any point resumes by running again and re-sends at most the one chunk request that was in flight.
/// </remarks>
internal sealed class PushSession
{
    internal const string RejectedMessage = "rejected: the remote has commits you don't have; run 'lmvp pull' first (or --force)";

    private const int FirstRequestBytes = 1024 * 1024;
    private const int PrefetchChunks = 32;

    private readonly Repository _repository;
    private readonly SyncConnection _connection;
    private readonly SyncOptions _options;
    private readonly int _requestBytes;
    private long _progressDone;

    /// <summary>Chunk uploads kept in flight at once after the first.</summary>
    private const int UploadsInFlight = 2;
    private long _progressTotal;

    public PushSession(Repository repository, SyncConnection connection, SyncOptions options, int requestBytes)
    {
        _repository = repository;
        _connection = connection;
        _options = options;
        _requestBytes = requestBytes;
    }

    private RepositoryDatabase Database => _repository.Database;

    public async Task<PushResult> RunAsync(string remote, string branch, PushOptions push, CancellationToken cancellationToken)
    {
        var branchRef = Repository.HeadsPrefix + branch;
        var local = Database.GetRef(branchRef)
            ?? throw new ObjectNotFoundException($"Branch '{branch}' has no commit to push: make a commit first.");
        var planned = new List<(string Name, ObjectId Target)> { (branchRef, local) };
        if (push.Tags)
        {
            planned.AddRange(Database.ListRefs(Repository.TagsPrefix).Select(t => (t.Key, t.Value)));
        }

        var remoteRefs = await FetchSession.GetRefsAsync(_connection, cancellationToken).ConfigureAwait(false);
        var updates = new List<RefUpdate>();
        foreach (var (name, target) in planned)
        {
            ObjectId? old = remoteRefs.Refs.TryGetValue(name, out var r) ? r : null;
            RefUpdateStatus status;
            if (old == target)
            {
                status = RefUpdateStatus.UpToDate;
            }
            else if (old is null)
            {
                status = RefUpdateStatus.Created;
            }
            else if (IsFastForward(old.Value, target))
            {
                status = name.StartsWith(Repository.TagsPrefix, StringComparison.Ordinal) && !push.Force ? RefUpdateStatus.Rejected : RefUpdateStatus.FastForward;
            }
            else
            {
                status = push.Force ? RefUpdateStatus.Forced : RefUpdateStatus.Rejected;
            }

            if (status == RefUpdateStatus.Rejected && name == branchRef)
            {
                // Refused before anything is sent: the server would refuse the ref move anyway.
                throw new RefConflictException(RejectedMessage);
            }

            updates.Add(new RefUpdate(name, name, old, target, status));
        }

        var toMove = updates.Where(u => u.Status is RefUpdateStatus.Created or RefUpdateStatus.FastForward or RefUpdateStatus.Forced).ToList();
        if (toMove.Count > 0)
        {
            var plan = Plan(toMove.Select(u => u.New), remoteRefs.Refs.Values);
            await SendAsync(plan, everything: false, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < updates.Count; i++)
            {
                var u = updates[i];
                if (u.Status is RefUpdateStatus.UpToDate or RefUpdateStatus.Rejected)
                {
                    continue;
                }

                var moved = await UpdateRefAsync(u, push.Force, plan, cancellationToken).ConfigureAwait(false);
                if (!moved)
                {
                    if (u.Source == branchRef)
                    {
                        throw new RefConflictException(RejectedMessage);
                    }

                    updates[i] = u with { Status = RefUpdateStatus.Rejected };
                }
            }
        }

        // The server now has the branch at `local` (or had it already): record that, as git does after a push.
        Database.SetRef(Repository.RemotesPrefix + remote + "/" + branch, local);
        var upstreamSet = false;
        if (push.SetUpstream && _repository.GetConfig($"branch.{branch}.remote") is null)
        {
            _repository.SetConfig($"branch.{branch}.remote", remote);
            upstreamSet = true;
        }

        return new PushResult(remote, _connection.Url.Url, updates, upstreamSet, _connection.Counter.ToStats());
    }

    private bool IsFastForward(ObjectId old, ObjectId target) =>
        Database.HasObject(old, EntryKind.Commit) && _repository.IsAncestor(old, target);

    /// <summary>What the new commits reach that the server's refs do not: commits (oldest first), trees (children first) and manifests.</summary>
    private PushPlan Plan(IEnumerable<ObjectId> targets, IEnumerable<ObjectId> remoteTargets)
    {
        var store = _repository.Store;
        var remoteKnown = new HashSet<ObjectId>();
        foreach (var t in remoteTargets.Distinct())
        {
            if (!remoteKnown.Contains(t) && store.TryGetCommit(t, out _))
            {
                foreach (var c in _repository.Walk(t))
                {
                    remoteKnown.Add(c.Id);
                }
            }
        }

        // Depth-first over parents, emitting a commit after its parents: the server may then verify in order.
        var commits = new List<ObjectId>();
        var visited = new HashSet<ObjectId>();
        var boundary = new HashSet<ObjectId>();
        var treeOf = new Dictionary<ObjectId, ObjectId>();
        foreach (var target in targets)
        {
            var stack = new Stack<(ObjectId Id, bool Expanded)>();
            stack.Push((target, false));
            while (stack.Count > 0)
            {
                var (id, expanded) = stack.Pop();
                if (expanded)
                {
                    commits.Add(id);
                    continue;
                }

                if (remoteKnown.Contains(id))
                {
                    boundary.Add(id);
                    continue;
                }

                if (!visited.Add(id))
                {
                    continue;
                }

                var commit = store.GetCommit(id);
                treeOf[id] = commit.TreeId;
                stack.Push((id, true));
                foreach (var p in commit.Parents)
                {
                    stack.Push((p, false));
                }
            }
        }

        // Whatever the server's commits at the boundary reach, it has: walk those trees first so they are skipped.
        var seen = new HashSet<ObjectId>();
        var trees = new List<ObjectId>();
        var manifests = new List<ObjectId>();
        foreach (var b in boundary)
        {
            WalkTree(store.GetCommit(b).TreeId, seen, null, null);
        }

        foreach (var c in commits)
        {
            WalkTree(treeOf[c], seen, trees, manifests);
        }

        return new PushPlan(commits, trees, manifests);
    }

    private void WalkTree(ObjectId treeId, HashSet<ObjectId> seen, List<ObjectId>? trees, List<ObjectId>? manifests)
    {
        if (!seen.Add(treeId))
        {
            return;
        }

        foreach (var e in _repository.Store.GetTree(treeId).Entries)
        {
            if (e.Kind == TreeEntryKind.Directory)
            {
                WalkTree(e.Id, seen, trees, manifests);
            }
            else if (e.Kind == TreeEntryKind.File && seen.Add(e.Id))
            {
                manifests?.Add(e.Id);
            }
        }

        trees?.Add(treeId);
    }

    /// <summary>Asks what the server lacks and sends it; with <paramref name="everything"/>, asks about every chunk, not only those of new manifests.</summary>
    private async Task SendAsync(PushPlan plan, bool everything, CancellationToken cancellationToken)
    {
        var candidates = plan.Manifests.Concat(plan.Trees).Concat(plan.Commits).ToList();
        var missingObjects = await AskMissingAsync("objects/missing", candidates, cancellationToken).ConfigureAwait(false);

        var seenChunks = new HashSet<ObjectId>();
        var chunkOrder = new List<ObjectId>();
        foreach (var fileId in plan.Manifests)
        {
            if (!everything && !missingObjects.Contains(fileId))
            {
                continue; // the server has this file's manifest, so it had all its chunks first (they are sent before objects)
            }

            foreach (var c in _repository.Store.GetChunks(fileId))
            {
                if (seenChunks.Add(c.Id))
                {
                    chunkOrder.Add(c.Id);
                }
            }
        }

        var missingChunks = await AskMissingAsync("chunks/missing", chunkOrder, cancellationToken).ConfigureAwait(false);
        var chunks = new List<(ObjectId Id, ChunkLocation Location)>(missingChunks.Count);
        foreach (var id in chunkOrder)
        {
            if (!missingChunks.Contains(id))
            {
                continue;
            }

            if (!Database.TryGetChunk(id, out var location))
            {
                throw new CorruptObjectException($"Cannot push: chunk {id.ToShortString()} is missing from this repository; run 'lmvp fsck'.");
            }

            chunks.Add((id, location));
        }

        // Read packs front to back: the server does not care about order, the disk does.
        chunks.Sort((a, b) => a.Location.PackId != b.Location.PackId
            ? a.Location.PackId.CompareTo(b.Location.PackId)
            : a.Location.Offset.CompareTo(b.Location.Offset));

        var objects = candidates.Where(missingObjects.Contains).ToList();
        _progressTotal += chunks.Sum(c => (long)c.Location.RawLength);
        await UploadChunksAsync(chunks, cancellationToken).ConfigureAwait(false);
        await UploadObjectsAsync(objects, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HashSet<ObjectId>> AskMissingAsync(string path, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        var asked = new HashSet<ObjectId>(ids);
        var missing = new HashSet<ObjectId>();
        for (var start = 0; start < ids.Count; start += ProtocolJson.MaxIdsPerRequest)
        {
            var batch = ids.Skip(start).Take(ProtocolJson.MaxIdsPerRequest);
            var answer = await _connection.PostJsonAsync<MissingMessage>(path, new IdsMessage(ProtocolJson.Hex(batch)), cancellationToken).ConfigureAwait(false);
            foreach (var hex in answer.Missing ?? [])
            {
                var id = ProtocolJson.ParseId(hex, _connection.Url.ServerBase);
                if (asked.Contains(id))
                {
                    missing.Add(id);
                }
            }
        }

        return missing;
    }

    private async Task UploadChunksAsync(List<(ObjectId Id, ChunkLocation Location)> chunks, CancellationToken cancellationToken)
    {
        // Packs are opened here, on this thread, so the concurrent senders below never touch the index database.
        foreach (var packId in chunks.Select(c => c.Location.PackId).Distinct())
        {
            _repository.Store.Packs.Get(packId);
        }

        var batches = new List<List<(ObjectId Id, ChunkLocation Location)>>();
        var start = 0;
        while (start < chunks.Count)
        {
            // The first request is small: a refusal (read-only token, expired token) then comes back before 64 MiB
            // are streamed at a server that has already answered.
            var limit = start == 0 ? Math.Min(_requestBytes, FirstRequestBytes) : _requestBytes;
            long payload = 0;
            var end = start;
            while (end < chunks.Count && end - start < ProtocolJson.MaxFramesPerUpload && (end == start || payload + chunks[end].Location.RawLength + FrameFormat.FrameHeaderSize <= limit))
            {
                payload += chunks[end].Location.RawLength + FrameFormat.FrameHeaderSize;
                end++;
            }

            batches.Add(chunks.GetRange(start, end - start));
            start = end;
        }

        if (batches.Count == 0)
        {
            return;
        }

        await UploadChunkBatchAsync(batches[0], cancellationToken).ConfigureAwait(false);

        // Two requests in flight: while the server publishes one batch (fsync, rename, index) the next is streaming.
        // One request at a time left client and server each idle half the time. A killed push loses at most both.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(UploadsInFlight);
        var running = new List<Task>();
        foreach (var batch in batches.Skip(1))
        {
            try
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // an upload failed: its exception is rethrown below
            }

            running.Add(Task.Run(async () =>
            {
                try
                {
                    await UploadChunkBatchAsync(batch, failed.Token).ConfigureAwait(false);
                }
                catch
                {
                    await failed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Cancelled because a sibling failed: report the sibling's error, not the cancellation.
            var real = running.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
            if (real is not null)
            {
                ExceptionDispatchInfo.Throw(real);
            }

            throw;
        }
    }

    private async Task UploadChunkBatchAsync(List<(ObjectId Id, ChunkLocation Location)> batch, CancellationToken cancellationToken)
    {
        var rawBytes = batch.Sum(c => (long)c.Location.RawLength);
        await _connection.PostFramesAsync<StoredMessage>(
            "chunks",
            () => new FrameUploadContent(rawBytes, batch.Count, (writer, ct) => WriteChunksAsync(writer, batch, ct), _connection.Counter),
            FrameUploadContent.SizeOf(rawBytes, batch.Count),
            cancellationToken).ConfigureAwait(false);
        _connection.Counter.ChunksSent(batch.Count, rawBytes);
    }

    private async Task WriteChunksAsync(FrameWriter writer, List<(ObjectId Id, ChunkLocation Location)> batch, CancellationToken cancellationToken)
    {
        // A reader reads and verifies the next chunks while this thread sends: disk, hashing and socket overlap.
        var channel = Channel.CreateBounded<(ObjectId Id, byte[] Buffer, int Length)>(new BoundedChannelOptions(PrefetchChunks) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? readError = null;
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var (id, location) in batch)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(location.RawLength);
                    try
                    {
                        // A verified read: a chunk damaged on this disk is never sent (the server would refuse it anyway).
                        _repository.Store.ReadChunk(id, location, buffer.AsSpan(0, location.RawLength));
                        await channel.Writer.WriteAsync((id, buffer, location.RawLength), stop.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw;
                    }
                }
            }
            catch (Exception e)
            {
                readError = e;
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var (id, buffer, length) in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await writer.WriteAsync(FrameKind.Chunk, id, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                // Shared by the concurrent uploads; a retried request counts twice, so the figure is capped.
                var done = Interlocked.Add(ref _progressDone, length);
                _options.Progress?.Report(new ProgressInfo("push", Math.Min(done, _progressTotal), _progressTotal));
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            while (channel.Reader.TryRead(out var left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }

        if (readError is not null && readError is not OperationCanceledException)
        {
            ExceptionDispatchInfo.Throw(readError);
        }
    }

    private async Task UploadObjectsAsync(List<ObjectId> ids, CancellationToken cancellationToken)
    {
        var start = 0;
        while (start < ids.Count)
        {
            var batch = new List<(ObjectId Id, FrameKind Kind, byte[] Data)>();
            long payload = 0;
            while (start < ids.Count)
            {
                if (!Database.TryGetObject(ids[start], out var kind, out var data))
                {
                    throw new CorruptObjectException($"Cannot push: object {ids[start].ToShortString()} is missing from this repository; run 'lmvp fsck'.");
                }

                if (batch.Count > 0 && (batch.Count >= ProtocolJson.MaxFramesPerUpload || payload + data.Length + FrameFormat.FrameHeaderSize > _requestBytes))
                {
                    break;
                }

                batch.Add((ids[start], (FrameKind)kind, data));
                payload += data.Length + FrameFormat.FrameHeaderSize;
                start++;
            }

            var bytes = batch.Sum(o => (long)o.Data.Length);
            await _connection.PostFramesAsync<StoredMessage>(
                "objects",
                () => new FrameUploadContent(bytes, batch.Count, async (writer, ct) =>
                {
                    foreach (var (id, kind, data) in batch)
                    {
                        await writer.WriteAsync(kind, id, data, ct).ConfigureAwait(false);
                    }
                }, _connection.Counter),
                FrameUploadContent.SizeOf(bytes, batch.Count),
                cancellationToken).ConfigureAwait(false);
            _connection.Counter.ObjectsSent(batch.Count);
        }
    }

    /// <summary>Moves one server ref by compare-and-swap; false when the server refused it (409).</summary>
    private async Task<bool> UpdateRefAsync(RefUpdate update, bool force, PushPlan plan, CancellationToken cancellationToken)
    {
        var body = new RefUpdateRequest(update.Destination, update.Old?.ToString(), update.New.ToString(), force);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _connection.PostJsonAsync<Dictionary<string, object?>>("refs/update", body, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RemoteException e) when (e.StatusCode == 409)
            {
                return false;
            }
            catch (RemoteException e) when (e.StatusCode == 422 && attempt == 1)
            {
                // The server lacks something the commit reaches although it said otherwise (another client's partial
                // upload, or data lost on its side): ask about every object and chunk once more, send them, retry.
                await SendAsync(plan, everything: true, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteException e) when (e.StatusCode == 422)
            {
                throw new RemoteException($"{_connection.Url.ServerBase} still lacks data for {update.Destination} after a full re-send: {e.ServerMessage}", e);
            }
        }
    }

    private sealed record PushPlan(List<ObjectId> Commits, List<ObjectId> Trees, List<ObjectId> Manifests);
}
