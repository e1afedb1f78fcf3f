using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Lmvp.Store.Graph;
using Lmvp.Store.Index;
using Lmvp.Store.Packs;
using Lmvp.Store.Protocol;

namespace Lmvp.Store.Sync;

/// <summary>One push: negotiate what the server lacks, stream it, then move refs by compare-and-swap.</summary>
/// <remarks>
/// Order (docs/PROTOCOL.md): refs, objects/missing, chunks/missing, chunks, objects, refs/update. Chunks go first and the
/// ref moves last, so the server never holds a ref to an incomplete commit; every step is idempotent, so a push killed
/// at any point resumes by running again and re-sends at most the one chunk request that was in flight.
/// </remarks>
internal sealed class PushSession(Repository repository, SyncConnection connection, SyncOptions options, int requestBytes)
{
    internal const string RejectedMessage = "rejected: the remote has commits you don't have; run 'lmvp pull' first (or --force)";

    /// <summary>Half of what the server accepts, so a request never nears the server's limit.</summary>
    private const int MaxFramesPerUpload = ProtocolLimits.MaxFramesPerUpload / 2;

    private long _progressDone;
    private long _progressTotal;

    private RepositoryDatabase Database => repository.Database;

    /// <summary>Reports <paramref name="bytes"/> more chunk bytes sent; shared by the concurrent uploads.</summary>
    internal void ReportSent(int bytes)
    {
        // A retried request counts twice, so the figure is capped.
        var done = Interlocked.Add(ref _progressDone, bytes);
        options.Progress?.Report(new ProgressInfo("push", Math.Min(done, _progressTotal), _progressTotal));
    }

    public async Task<PushResult> RunAsync(string remote, string branch, PushOptions push, CancellationToken cancellationToken)
    {
        var branchRef = RefName.Branch(branch).FullName;
        var local = Database.GetRef(branchRef)
            ?? throw new ObjectNotFoundException($"Branch '{branch}' has no commit to push: make a commit first.");
        var planned = new List<(string Name, ObjectId Target)> { (branchRef, local) };
        if (push.Tags)
        {
            planned.AddRange(Database.ListRefs(RefName.TagsPrefix).Select(t => (t.Key, t.Value)));
        }

        var remoteRefs = await FetchSession.GetRefsAsync(connection, cancellationToken).ConfigureAwait(false);
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
                status = name.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal) && !push.Force ? RefUpdateStatus.Rejected : RefUpdateStatus.FastForward;
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
        using (Database.ReflogMessage("update by push"))
        {
            Database.SetRef(RefName.RemoteTracking(remote, branch).FullName, local);
        }
        var upstreamSet = false;
        if (push.SetUpstream && repository.GetConfig($"branch.{branch}.remote") is null)
        {
            repository.SetConfig($"branch.{branch}.remote", remote);
            upstreamSet = true;
        }

        return new PushResult(remote, connection.Url.Url, updates, upstreamSet, connection.Counter.ToStats());
    }

    private bool IsFastForward(ObjectId old, ObjectId target) =>
        Database.HasObject(old, ObjectKind.Commit) && repository.IsAncestor(old, target);

    /// <summary>What the new commits reach that the server's refs do not: commits, trees and manifests.</summary>
    private PushPlan Plan(IEnumerable<ObjectId> targets, IEnumerable<ObjectId> remoteTargets)
    {
        var plan = new PushPlan([], [], []);
        foreach (var node in Closure.Objects(repository.Objects, targets.Distinct(), remoteTargets.Distinct()))
        {
            (node.Kind switch
            {
                ObjectKind.Commit => plan.Commits,
                ObjectKind.Tree => plan.Trees,
                _ => plan.Manifests,
            }).Add(node.Id);
        }

        return plan;
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

            var manifest = repository.Store.GetManifest(fileId);
            if (!everything)
            {
                connection.Counter.Logical(manifest.Size);
            }

            foreach (var c in manifest.Chunks)
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
                var promiser = plan.Manifests.Where(f => repository.Store.GetChunks(f).Any(c => c.Id == id)).Select(Database.GetPromisingRemote).FirstOrDefault(r => r is not null);
                throw promiser is not null
                    ? new ObjectNotFoundException($"Cannot push: chunk {id.ToShortString()} is not in this repository (remote '{promiser}' promises it); run 'lmvp fetch --all-chunks {promiser}' first.")
                    : new CorruptObjectException($"Cannot push: chunk {id.ToShortString()} is missing from this repository; run 'lmvp fsck'.");
            }

            chunks.Add((id, location));
        }

        // Read packs front to back: the server does not care about order, the disk does.
        chunks.Sort((a, b) => a.Location.PackId != b.Location.PackId
            ? a.Location.PackId.CompareTo(b.Location.PackId)
            : a.Location.Offset.CompareTo(b.Location.Offset));

        var objects = candidates.Where(missingObjects.Contains).ToList();
        _progressTotal += chunks.Sum(c => (long)c.Location.RawLength);
        await new ChunkUploader(repository, connection, requestBytes, MaxFramesPerUpload, this).UploadAsync(chunks, cancellationToken).ConfigureAwait(false);
        await UploadObjectsAsync(objects, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HashSet<ObjectId>> AskMissingAsync(string path, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        var asked = new HashSet<ObjectId>(ids);
        var missing = new HashSet<ObjectId>();
        for (var start = 0; start < ids.Count; start += ProtocolLimits.MaxIdsPerRequest)
        {
            var batch = ids.Skip(start).Take(ProtocolLimits.MaxIdsPerRequest);
            var answer = await connection.PostJsonAsync(path, new IdListRequest(ProtocolIds.Hex(batch)), ProtocolJsonContext.Default.IdListRequest,
                ProtocolJsonContext.Default.MissingResponse, cancellationToken).ConfigureAwait(false);
            foreach (var hex in answer.Missing)
            {
                var id = ProtocolIds.Parse(hex, connection.Url.ServerBase);
                if (asked.Contains(id))
                {
                    missing.Add(id);
                }
            }
        }

        return missing;
    }

    private async Task UploadObjectsAsync(List<ObjectId> ids, CancellationToken cancellationToken)
    {
        var start = 0;
        while (start < ids.Count)
        {
            var batch = new List<(ObjectId Id, ObjectKind Kind, byte[] Data)>();
            long payload = 0;
            while (start < ids.Count)
            {
                if (!Database.TryGetObject(ids[start], out var kind, out var data))
                {
                    throw new CorruptObjectException($"Cannot push: object {ids[start].ToShortString()} is missing from this repository; run 'lmvp fsck'.");
                }

                if (batch.Count > 0 && (batch.Count >= MaxFramesPerUpload || payload + data.Length + FrameFormat.FrameHeaderSize > requestBytes))
                {
                    break;
                }

                batch.Add((ids[start], kind, data));
                payload += data.Length + FrameFormat.FrameHeaderSize;
                start++;
            }

            var bytes = batch.Sum(o => (long)o.Data.Length);
            await connection.PostFramesAsync(
                "objects",
                () => new FrameUploadContent(bytes, batch.Count, async (writer, ct) =>
                {
                    foreach (var (id, kind, data) in batch)
                    {
                        await writer.WriteAsync(kind, id, data, ct).ConfigureAwait(false);
                    }
                }, connection.Counter),
                FrameFormat.StreamSize(bytes, batch.Count),
                ProtocolJsonContext.Default.StoredResponse,
                cancellationToken).ConfigureAwait(false);
            connection.Counter.ObjectsSent(batch.Count);
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
                await connection.PostJsonAsync("refs/update", body, ProtocolJsonContext.Default.RefUpdateRequest, ProtocolJsonContext.Default.RefUpdateResponse,
                    cancellationToken).ConfigureAwait(false);
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
                throw new RemoteException($"{connection.Url.ServerBase} still lacks data for {update.Destination} after a full re-send: {e.ServerMessage}", e);
            }
        }
    }

    private sealed record PushPlan(List<ObjectId> Commits, List<ObjectId> Trees, List<ObjectId> Manifests);
}
