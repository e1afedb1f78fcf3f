using Lmvp.Store.Graph;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Protocol;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store.Sync;

/// <summary>The server's refs, parsed and checked.</summary>
internal sealed record RemoteRefs(string? Head, IReadOnlyDictionary<string, ObjectId> Refs);

/// <summary>One fetch: read the server's refs, download the commits, trees and manifests they reach that this repository
/// lacks, then the chunks of the one snapshot that will be checked out (or, with <see cref="FetchOptions.AllChunks"/>, of
/// everything), verifying everything before it is kept; remote-tracking refs move last.</summary>
/// <remarks>
/// Chunks are published in batches (one pack per batch), so an interrupted fetch keeps what arrived and a re-run asks only
/// for the rest. Metadata is published together with the ref moves, in one transaction, after the chunks of the snapshot
/// to check out are present: a ref never points at a commit whose history is incomplete. The other files' chunks stay on
/// the server, which is recorded as promising them; checkout and reads fetch them on demand (see <see cref="PromisedChunks"/>).
/// </remarks>
internal sealed class FetchSession
{
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
        var message = await connection.GetJsonAsync("refs", ProtocolJsonContext.Default.RefsResponse, cancellationToken).ConfigureAwait(false);
        var refs = new Dictionary<string, ObjectId>(StringComparer.Ordinal);
        foreach (var (name, hex) in message.Refs)
        {
            refs[name] = ProtocolIds.Parse(hex, connection.Url.ServerBase);
        }

        return new RemoteRefs(message.Head, refs);
    }

    /// <summary>Fetches every branch (to refs/remotes/REMOTE/...) and tag; <paramref name="checkoutRef"/> sees the server's refs
    /// before any data moves and names the server's ref whose snapshot will be checked out (its chunks are fetched), or null;
    /// with <paramref name="streamInto"/> (a clone), that snapshot's files are written as its chunks arrive.</summary>
    public async Task<FetchResult> RunAsync(string remote, Func<RemoteRefs, string?> checkoutRef, bool allChunks, StreamingCheckout? streamInto,
        CancellationToken cancellationToken)
    {
        var remoteRefs = await GetRefsAsync(_connection, cancellationToken).ConfigureAwait(false);
        var checkout = checkoutRef(remoteRefs) is { } wanted && remoteRefs.Refs.TryGetValue(wanted, out var tip) ? tip : (ObjectId?)null;
        var database = _repository.Database;

        var planned = new List<(string Source, string Destination, ObjectId Target)>();
        foreach (var (name, target) in remoteRefs.Refs.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (!RefName.TryParse(name, out var parsed))
            {
                continue; // a name a client could not store safely is left on the server
            }

            if (parsed.IsBranch)
            {
                planned.Add((name, RefName.RemoteTracking(remote, parsed.ShortName).FullName, target));
            }
            else if (parsed.IsTag)
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

            if (old is not null && destination.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal))
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

        var received = new ReceivedObjects(_repository.Store, Server);
        if (wants.Count > 0)
        {
            await ReceiveClosureAsync(wants, HavesFor(remote), received, cancellationToken).ConfigureAwait(false);
            received.CheckComplete(wants);
        }

        var snapshot = Snapshot(received, checkout);
        var manifests = allChunks
            ? Everything(received, updates.Where(u => u.Status != RefUpdateStatus.Rejected).Select(u => u.New))
            : snapshot.ConvertAll(f => f.Manifest);
        streamInto?.Plan(snapshot);
        await new ChunkDownloader(_repository, _connection, _options, _batchBytes, fileId => received.PathOf(wants, fileId), streamInto)
            .DownloadAsync(manifests, cancellationToken).ConfigureAwait(false);

        // Decided only now that the commits are here: whether each move is a fast-forward.
        for (var i = 0; i < updates.Count; i++)
        {
            var u = updates[i];
            if (u.Status == RefUpdateStatus.FastForward && !History.IsAncestor(received, u.Old!.Value, u.New))
            {
                updates[i] = u with { Status = RefUpdateStatus.Forced };
            }
        }

        using (var writer = new ObjectWriter(_repository.Store))
        {
            foreach (var (id, kind, data) in received.All)
            {
                writer.PutObject(kind, id, data);
            }

            writer.Publish(() =>
            {
                database.AddPromisedFiles(received.Manifests.Select(m => m.FileId), remote);
                foreach (var u in updates.Where(u => u.Status is RefUpdateStatus.Created or RefUpdateStatus.FastForward or RefUpdateStatus.Forced))
                {
                    using var message = database.ReflogMessage(
                        $"fetch from {remote}: {(u.Status == RefUpdateStatus.Created ? "storing head" : u.Status == RefUpdateStatus.Forced ? "forced update" : "fast-forward")}");
                    database.SetRef(u.Destination, u.New);
                }
            });
        }

        return new FetchResult(remote, _connection.Url.Url, remoteRefs.Head, updates, _connection.Counter.ToStats());
    }

    /// <summary>The files of one commit's snapshot (none for null), in path order: the chunks a checkout of it needs.</summary>
    private static List<(string Path, TreeEntry Entry, FileManifest Manifest)> Snapshot(ReceivedObjects objects, ObjectId? commitId)
    {
        var source = (IObjectSource)objects;
        if (commitId is not { } id || Synchronously.Wait(source.FindCommitAsync(id, CancellationToken.None)) is not { } commit)
        {
            return [];
        }

        var files = new List<(string Path, TreeEntry Entry, FileManifest Manifest)>();
        foreach (var (path, entry) in TreeWalk.Flatten(source, commit.TreeId))
        {
            if (entry.Kind == TreeEntryKind.File && Synchronously.Wait(source.FindManifestAsync(entry.Id, CancellationToken.None)) is { } manifest)
            {
                files.Add((path, entry, manifest));
            }
        }

        return files;
    }

    /// <summary>Every file of every commit the fetched refs and the local refs reach: what an offline copy needs.</summary>
    private List<FileManifest> Everything(ReceivedObjects objects, IEnumerable<ObjectId> fetched)
    {
        var roots = fetched.Concat(_repository.Database.ListRefs("refs/").Select(r => r.Value)).Distinct().ToList();
        return [.. new GraphWalker(objects).Walk(roots).Select(n => n.Manifest).OfType<FileManifest>()];
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
        foreach (var prefix in new[] { RefName.RemotesPrefix + remote + "/", RefName.HeadsPrefix, RefName.TagsPrefix })
        {
            foreach (var (_, id) in database.ListRefs(prefix))
            {
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ProtocolIds.Hex(ids.Take(ProtocolLimits.MaxHaves));
    }

    private async Task ReceiveClosureAsync(List<ObjectId> wants, List<string> haves, ReceivedObjects received, CancellationToken cancellationToken)
    {
        await _connection.PostForFramesAsync(
            "objects/closure",
            () => new ClosureRequest(ProtocolIds.Hex(wants), haves),
            ProtocolJsonContext.Default.ClosureRequest,
            async (stream, ct) =>
            {
                // A retry restarts the stream from the beginning: what a broken attempt delivered is dropped.
                received.Clear();
                var reader = new FrameReader(stream, ProtocolLimits.MaxObjectFrame);
                while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } frame)
                {
                    received.Add(frame.Kind, frame.Id, frame.Data.ToArray());
                }
            },
            0,
            null,
            cancellationToken).ConfigureAwait(false);
        _connection.Counter.ObjectsReceived(received.Count);
    }
}
