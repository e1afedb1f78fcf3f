using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Lmvp.Store.Chunking;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Sync;

/// <summary>The server's refs, parsed and checked.</summary>
internal sealed record RemoteRefs(string? Head, IReadOnlyDictionary<string, ObjectId> Refs);

/// <summary>One fetch: read the server's refs, download the commits, trees and manifests they reach that this repository
/// lacks, then the chunks it lacks, verifying everything before it is kept; remote-tracking refs move last.</summary>
/// <remarks>
/// Chunks are published in batches (one pack per batch), so an interrupted fetch keeps what arrived and a re-run asks only
/// for the rest. Metadata is published together with the ref moves, in one transaction, after every chunk the new
/// commits reach is present: a ref never points at an incomplete commit.
/// </remarks>
internal sealed class FetchSession
{
    /// <summary>The most commits sent as <c>have</c>: enough for every ref of a normal repository.</summary>
    private const int MaxHaves = 1000;

    /// <summary>Chunks received but not yet hashed and written.</summary>
    private const int PipelineDepth = 32;

    /// <summary>Verified chunks handed to the pack writer together.</summary>
    private const int StagingBytes = 4 * 1024 * 1024;

    private readonly Repository _repository;
    private readonly SyncConnection _connection;
    private readonly SyncOptions _options;
    private readonly int _batchBytes;

    public FetchSession(Repository repository, SyncConnection connection, SyncOptions options, int batchBytes)
    {
        _repository = repository;
        _connection = connection;
        _options = options;
        _batchBytes = batchBytes;
    }

    private string Server => _connection.Server;

    public static async Task<RemoteRefs> GetRefsAsync(SyncConnection connection, CancellationToken cancellationToken)
    {
        var message = await connection.GetJsonAsync<RefsMessage>("refs", cancellationToken).ConfigureAwait(false);
        var refs = new Dictionary<string, ObjectId>(StringComparer.Ordinal);
        foreach (var (name, hex) in message.Refs ?? [])
        {
            refs[name] = ProtocolJson.ParseId(hex, connection.Url.ServerBase);
        }

        return new RemoteRefs(message.Head, refs);
    }

    /// <summary>Fetches every branch (to refs/remotes/REMOTE/...) and tag; <paramref name="onRefs"/> sees the server's refs before any data moves.</summary>
    public async Task<FetchResult> RunAsync(string remote, Action<RemoteRefs>? onRefs, CancellationToken cancellationToken)
    {
        var remoteRefs = await GetRefsAsync(_connection, cancellationToken).ConfigureAwait(false);
        onRefs?.Invoke(remoteRefs);
        var database = _repository.Database;

        var planned = new List<(string Source, string Destination, ObjectId Target)>();
        foreach (var (name, target) in remoteRefs.Refs.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(Repository.HeadsPrefix, StringComparison.Ordinal) && IsSafeName(name[Repository.HeadsPrefix.Length..]))
            {
                planned.Add((name, Repository.RemotesPrefix + remote + "/" + name[Repository.HeadsPrefix.Length..], target));
            }
            else if (name.StartsWith(Repository.TagsPrefix, StringComparison.Ordinal) && IsSafeName(name[Repository.TagsPrefix.Length..]))
            {
                planned.Add((name, name, target));
            }
        }

        var updates = new List<RefUpdate>();
        var wants = new List<ObjectId>();
        HashSet<ObjectId>? complete = null;
        foreach (var (source, destination, target) in planned)
        {
            var old = database.GetRef(destination);
            if (old == target)
            {
                updates.Add(new RefUpdate(source, destination, old, target, RefUpdateStatus.UpToDate));
                continue;
            }

            if (old is not null && destination.StartsWith(Repository.TagsPrefix, StringComparison.Ordinal))
            {
                // A local tag of the same name is never clobbered, as git fetch refuses to.
                updates.Add(new RefUpdate(source, destination, old, target, RefUpdateStatus.Rejected));
                continue;
            }

            updates.Add(new RefUpdate(source, destination, old, target, old is null ? RefUpdateStatus.Created : RefUpdateStatus.FastForward));
            complete ??= CompleteCommits();
            if (!complete.Contains(target) && !wants.Contains(target))
            {
                wants.Add(target);
            }
        }

        var received = new Dictionary<ObjectId, (EntryKind Kind, byte[] Data)>();
        if (wants.Count > 0)
        {
            await ReceiveClosureAsync(wants, HavesFor(remote), received, cancellationToken).ConfigureAwait(false);
            CheckClosure(wants, received);
            await ReceiveChunksAsync(received, cancellationToken).ConfigureAwait(false);
        }

        // Decided only now that the commits are here: whether each move is a fast-forward.
        for (var i = 0; i < updates.Count; i++)
        {
            var u = updates[i];
            if (u.Status == RefUpdateStatus.FastForward && !IsAncestorIncludingReceived(u.Old!.Value, u.New, received))
            {
                updates[i] = u with { Status = RefUpdateStatus.Forced };
            }
        }

        using (var writer = new ObjectWriter(_repository.Store))
        {
            foreach (var (id, (kind, data)) in received)
            {
                writer.PutObject(kind, id, data);
            }

            writer.Publish(() =>
            {
                foreach (var u in updates.Where(u => u.Status is RefUpdateStatus.Created or RefUpdateStatus.FastForward or RefUpdateStatus.Forced))
                {
                    database.SetRef(u.Destination, u.New);
                }
            });
        }

        return new FetchResult(remote, _connection.Url.Url, remoteRefs.Head, updates, _connection.Counter.ToStats());
    }

    private static bool IsSafeName(string name)
    {
        try
        {
            Repository.ValidateRefName(name, "ref");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Every commit reachable from a local ref: these are complete (a ref only ever points at a complete commit).</summary>
    private HashSet<ObjectId> CompleteCommits()
    {
        var set = new HashSet<ObjectId>();
        var pending = new Stack<ObjectId>(_repository.Database.ListRefs("refs/").Select(r => r.Value));
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (set.Contains(id) || !_repository.Store.TryGetCommit(id, out var commit))
            {
                continue;
            }

            set.Add(id);
            foreach (var p in commit!.Parents)
            {
                pending.Push(p);
            }
        }

        return set;
    }

    /// <summary>The commits to name as <c>have</c>: this remote's tracking refs first, then local branches and tags.</summary>
    private List<string> HavesFor(string remote)
    {
        var database = _repository.Database;
        var ids = new List<ObjectId>();
        foreach (var prefix in new[] { Repository.RemotesPrefix + remote + "/", Repository.HeadsPrefix, Repository.TagsPrefix })
        {
            foreach (var (_, id) in database.ListRefs(prefix))
            {
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ProtocolJson.Hex(ids.Take(MaxHaves));
    }

    private async Task ReceiveClosureAsync(List<ObjectId> wants, List<string> haves, Dictionary<ObjectId, (EntryKind Kind, byte[] Data)> received, CancellationToken cancellationToken)
    {
        await _connection.PostForFramesAsync(
            "objects/closure",
            () => new ClosureRequest(ProtocolJson.Hex(wants), haves),
            async (stream, ct) =>
            {
                // A retry restarts the stream from the beginning: what a broken attempt delivered is dropped.
                received.Clear();
                var reader = new FrameReader(stream, FrameFormat.MaxObjectFrame);
                while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } frame)
                {
                    var data = frame.Data.ToArray();
                    VerifyObject(frame.Kind, frame.Id, data);
                    received[frame.Id] = ((EntryKind)frame.Kind, data);
                }
            },
            0,
            cancellationToken).ConfigureAwait(false);
        _connection.Counter.ObjectsReceived(received.Count);
    }

    private void VerifyObject(FrameKind kind, ObjectId id, byte[] data)
    {
        try
        {
            _ = kind switch
            {
                FrameKind.Commit => (object)Commit.Decode(data, id),
                FrameKind.Tree => Tree.Decode(data, id),
                FrameKind.Manifest => FileManifest.Decode(data, id),
                _ => throw new CorruptObjectException($"a {kind.ToString().ToLowerInvariant()} frame where only commits, trees and manifests belong"),
            };
        }
        catch (CorruptObjectException e)
        {
            throw new CorruptObjectException($"{Server} sent a bad object {id.ToShortString()}: {e.Message} Nothing from this fetch was kept.", e);
        }
    }

    /// <summary>Checks that every wanted commit's history, trees and manifests are here or were received.</summary>
    private void CheckClosure(List<ObjectId> wants, Dictionary<ObjectId, (EntryKind Kind, byte[] Data)> received)
    {
        var database = _repository.Database;
        var seen = new HashSet<ObjectId>();
        var pending = new Stack<(ObjectId Id, EntryKind Kind)>(wants.Select(w => (w, EntryKind.Commit)));
        while (pending.Count > 0)
        {
            var (id, kind) = pending.Pop();
            if (!seen.Add(id))
            {
                continue;
            }

            byte[] data;
            if (received.TryGetValue(id, out var r))
            {
                if (r.Kind != kind)
                {
                    throw new CorruptObjectException($"{Server} sent {id.ToShortString()} as a {r.Kind.ToString().ToLowerInvariant()} where a {kind.ToString().ToLowerInvariant()} was named.");
                }

                data = r.Data;
            }
            else if (database.HasObject(id, kind))
            {
                continue; // what this repository holds is complete with everything it reaches
            }
            else
            {
                throw new RemoteException($"{Server} sent an incomplete history: {kind.ToString().ToLowerInvariant()} {id.ToShortString()} is missing. Nothing from this fetch was kept.");
            }

            switch (kind)
            {
                case EntryKind.Commit:
                    var commit = Commit.Decode(data, id);
                    pending.Push((commit.TreeId, EntryKind.Tree));
                    foreach (var p in commit.Parents)
                    {
                        pending.Push((p, EntryKind.Commit));
                    }

                    break;
                case EntryKind.Tree:
                    foreach (var e in Tree.Decode(data, id).Entries)
                    {
                        if (e.Kind == TreeEntryKind.Directory)
                        {
                            pending.Push((e.Id, EntryKind.Tree));
                        }
                        else if (e.Kind == TreeEntryKind.File)
                        {
                            pending.Push((e.Id, EntryKind.Manifest));
                        }
                    }

                    break;
            }
        }
    }

    private async Task ReceiveChunksAsync(Dictionary<ObjectId, (EntryKind Kind, byte[] Data)> received, CancellationToken cancellationToken)
    {
        var database = _repository.Database;
        var needed = new List<(ObjectId Id, int Length)>();
        var seen = new HashSet<ObjectId>();
        foreach (var (id, (kind, data)) in received)
        {
            if (kind != EntryKind.Manifest)
            {
                continue;
            }

            foreach (var c in FileManifest.Decode(data, id).Chunks)
            {
                if (seen.Add(c.Id))
                {
                    needed.Add((c.Id, c.Length));
                }
            }
        }

        // One index query per 128 ids, not one per chunk.
        var present = database.FindExistingChunks(needed.ConvertAll(c => c.Id));
        needed.RemoveAll(c => present.Contains(c.Id));

        var total = needed.Sum(n => (long)n.Length);
        long done = 0;
        var start = 0;
        while (start < needed.Count)
        {
            long bytes = 0;
            var end = start;
            while (end < needed.Count && end - start < ProtocolJson.MaxIdsPerRequest && (end == start || bytes + needed[end].Length <= _batchBytes))
            {
                bytes += needed[end].Length;
                end++;
            }

            var batch = needed.GetRange(start, end - start);
            using (var writer = new ObjectWriter(_repository.Store))
            {
                writer.BeginFile();
                var state = new BatchState();
                try
                {
                    await _connection.PostForFramesAsync(
                        "chunks/download",
                        () => new IdsMessage(ProtocolJson.Hex(batch.Skip(state.Next).Select(b => b.Id))),
                        (stream, ct) => ReadChunkStreamAsync(stream, batch, state, writer, length =>
                        {
                            done += length;
                            _connection.Counter.ChunkReceived(length);
                            _options.Progress?.Report(new ProgressInfo("fetch", done, total));
                        }, ct),
                        bytes,
                        cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (state.Next > 0 && e is RemoteException or OperationCanceledException or IOException)
                {
                    // Given up or cancelled part-way: keep the verified chunks of this batch too, so a re-run skips them.
                    writer.Publish(null);
                    if (e is RemoteException { StatusCode: 404 } r)
                    {
                        throw LacksChunks(r);
                    }

                    throw;
                }
                catch (RemoteException e) when (e.StatusCode == 404)
                {
                    throw LacksChunks(e);
                }

                writer.Publish(null);
            }

            start = end;
        }

        var arrived = database.FindExistingChunks(needed.ConvertAll(c => c.Id));
        foreach (var (id, _) in needed)
        {
            if (!arrived.Contains(id))
            {
                throw new CorruptObjectException($"Chunk {id.ToShortString()} is still missing after the download.");
            }
        }
    }

    private RemoteException LacksChunks(RemoteException e) =>
        new($"{Server} lacks chunks of its own commits ({e.ServerMessage}); what arrived so far is kept.", e);

    /// <summary>Reads one chunks/download answer: this thread receives and checks order and sizes, a second thread hashes
    /// each chunk and writes it to the pack, so network and hashing overlap.</summary>
    /// <remarks>A retry after a broken stream asks only for the chunks after <see cref="BatchState.Next"/>: those before
    /// are verified and pending in the writer.</remarks>
    private async Task ReadChunkStreamAsync(Stream stream, List<(ObjectId Id, int Length)> batch, BatchState state, ObjectWriter writer,
        Action<int> onChunk, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(stream, FrameFormat.MaxChunkFrame);
        var channel = Channel.CreateBounded<(ObjectId Id, byte[] Buffer, int Length)>(new BoundedChannelOptions(PipelineDepth) { SingleReader = true, SingleWriter = true });
        using var consumerFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? consumerError = null;
        var consumer = Task.Run(async () =>
        {
            // Verified chunks are staged back to back and handed to the writer together: one index lookup per batch
            // instead of one per chunk. The stage is flushed whenever the queue runs dry, so progress stays live.
            var staging = ArrayPool<byte>.Shared.Rent(StagingBytes);
            var staged = new List<ChunkRef>();
            var used = 0;
            void Flush()
            {
                if (staged.Count == 0)
                {
                    return;
                }

                writer.Accept(CollectionsMarshal.AsSpan(staged), staging.AsSpan(0, used));
                foreach (var c in staged)
                {
                    state.Next++;
                    onChunk(c.Length);
                }

                staged.Clear();
                used = 0;
            }

            try
            {
                await foreach (var (id, buffer, length) in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    try
                    {
                        if (ObjectId.Compute(buffer.AsSpan(0, length)) != id)
                        {
                            throw new CorruptObjectException($"Chunk {id.ToShortString()} from {Server} is corrupt: its bytes do not hash to its id. It was not kept.");
                        }

                        if (used + length > staging.Length)
                        {
                            Flush();
                        }

                        if (length > staging.Length)
                        {
                            writer.Accept([new ChunkRef(id, length)], buffer.AsSpan(0, length));
                            state.Next++;
                            onChunk(length);
                        }
                        else
                        {
                            buffer.AsSpan(0, length).CopyTo(staging.AsSpan(used));
                            used += length;
                            staged.Add(new ChunkRef(id, length));
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    if (channel.Reader.Count == 0)
                    {
                        Flush();
                    }
                }

                Flush();
            }
            catch (Exception e)
            {
                consumerError = e;
                await consumerFailed.CancelAsync().ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(staging);
            }
        }, CancellationToken.None);

        var expected = state.Next;
        Exception? readError = null;
        try
        {
            while (await reader.ReadAsync(consumerFailed.Token).ConfigureAwait(false) is { } frame)
            {
                if (expected >= batch.Count)
                {
                    throw new RemoteException($"{Server} sent more chunks than were asked for.");
                }

                var (id, length) = batch[expected];
                if (frame.Kind != FrameKind.Chunk || frame.Id != id)
                {
                    throw new RemoteException($"{Server} answered with {frame.Kind.ToString().ToLowerInvariant()} {frame.Id.ToShortString()} where chunk {id.ToShortString()} was asked for.");
                }

                if (frame.Data.Length != length)
                {
                    throw new CorruptObjectException($"Chunk {id.ToShortString()} from {Server} has {frame.Data.Length} bytes, not {length}. It was not kept.");
                }

                var buffer = ArrayPool<byte>.Shared.Rent(length);
                frame.Data.Span.CopyTo(buffer);
                try
                {
                    await channel.Writer.WriteAsync((id, buffer, length), consumerFailed.Token).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                expected++;
            }
        }
        catch (Exception e)
        {
            readError = e;
        }

        channel.Writer.TryComplete();
        await consumer.ConfigureAwait(false);
        while (channel.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }

        if (consumerError is not null)
        {
            ExceptionDispatchInfo.Throw(consumerError);
        }

        if (readError is not null)
        {
            ExceptionDispatchInfo.Throw(readError);
        }

        if (state.Next != batch.Count)
        {
            throw new RemoteException($"{Server} sent {state.Next} of the {batch.Count} chunks asked for.");
        }
    }

    /// <summary>How far one download batch got: chunks before <see cref="Next"/> are verified and pending in the writer.</summary>
    private sealed class BatchState
    {
        public int Next { get; set; }
    }

    private bool IsAncestorIncludingReceived(ObjectId ancestor, ObjectId descendant, Dictionary<ObjectId, (EntryKind Kind, byte[] Data)> received)
    {
        var seen = new HashSet<ObjectId>();
        var pending = new Stack<ObjectId>();
        pending.Push(descendant);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (id == ancestor)
            {
                return true;
            }

            if (!seen.Add(id))
            {
                continue;
            }

            Commit? commit = null;
            if (received.TryGetValue(id, out var r) && r.Kind == EntryKind.Commit)
            {
                commit = Commit.Decode(r.Data, id);
            }
            else if (_repository.Store.TryGetCommit(id, out var local))
            {
                commit = local;
            }

            if (commit is null)
            {
                continue;
            }

            foreach (var p in commit.Parents)
            {
                pending.Push(p);
            }
        }

        return false;
    }
}
