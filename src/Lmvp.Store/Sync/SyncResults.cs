namespace Lmvp.Store.Sync;

/// <summary>A named remote and its URL.</summary>
/// <param name="Name">The remote's name (origin).</param>
/// <param name="Url">The repository URL: server base plus owner/name.</param>
public sealed record RemoteInfo(string Name, string Url);

/// <summary>What one operation moved, from the files it concerned down to the bytes on the wire.</summary>
/// <param name="Requests">HTTP requests made, retries included.</param>
/// <param name="Retries">Requests that were retries of a failed one.</param>
/// <param name="BytesSent">Request body bytes handed to the connection: what actually went out.</param>
/// <param name="BytesReceived">Response body bytes read: what actually came in.</param>
/// <param name="ChunksSent">Chunks uploaded (and acknowledged).</param>
/// <param name="ChunkBytesSent">Raw bytes of the chunks uploaded: what was new to the server after dedup.</param>
/// <param name="ObjectsSent">Commits, trees and manifests uploaded.</param>
/// <param name="ChunksReceived">Chunks downloaded and verified.</param>
/// <param name="ChunkBytesReceived">Raw bytes of the chunks downloaded: what was new to this repository after dedup.</param>
/// <param name="ObjectsReceived">Commits, trees and manifests downloaded and verified.</param>
/// <param name="LogicalBytes">Bytes of the file versions the operation moved (each once): a push counts the files new to
/// the server, a fetch the files of the commits it brought.</param>
/// <param name="ChunkWireBytesSent">Bytes of the chunks uploaded as they went on the wire (compressed).</param>
/// <param name="ChunkWireBytesReceived">Bytes of the chunks downloaded as they came on the wire (compressed).</param>
public sealed record TransferStats(int Requests, int Retries, long BytesSent, long BytesReceived, long ChunksSent, long ChunkBytesSent,
    long ObjectsSent, long ChunksReceived, long ChunkBytesReceived, long ObjectsReceived, long LogicalBytes = 0, long ChunkWireBytesSent = 0,
    long ChunkWireBytesReceived = 0);

/// <summary>What happened to one ref.</summary>
public enum RefUpdateStatus
{
    /// <summary>Already at the wanted commit.</summary>
    UpToDate,

    /// <summary>Created.</summary>
    Created,

    /// <summary>Moved forward to a descendant.</summary>
    FastForward,

    /// <summary>Moved to a commit that does not descend from the old one (forced).</summary>
    Forced,

    /// <summary>Not moved: it would lose commits (or clobber a tag).</summary>
    Rejected,
}

/// <summary>One ref moved (or not) by a push or fetch.</summary>
/// <param name="Source">The ref's name on the sending side (refs/heads/main).</param>
/// <param name="Destination">The ref's name on the receiving side (refs/heads/main on the server, refs/remotes/origin/main locally).</param>
/// <param name="Old">Where it pointed before, or null.</param>
/// <param name="New">Where it points now (or would have).</param>
/// <param name="Status">What happened.</param>
public sealed record RefUpdate(string Source, string Destination, ObjectId? Old, ObjectId New, RefUpdateStatus Status);

/// <summary>What a push did.</summary>
/// <param name="Remote">The remote's name.</param>
/// <param name="Url">The repository URL.</param>
/// <param name="Updates">Every ref considered, the branch first.</param>
/// <param name="UpstreamSet">True when this push recorded the remote as the branch's upstream.</param>
/// <param name="Transfer">What went over the wire.</param>
public sealed record PushResult(string Remote, string Url, IReadOnlyList<RefUpdate> Updates, bool UpstreamSet, TransferStats Transfer)
{
    /// <summary>True when some ref was refused.</summary>
    public bool HasRejections => Updates.Any(u => u.Status == RefUpdateStatus.Rejected);
}

/// <summary>What a fetch did.</summary>
/// <param name="Remote">The remote's name.</param>
/// <param name="Url">The repository URL.</param>
/// <param name="RemoteHead">The branch the server names as its default, or null.</param>
/// <param name="Updates">Remote-tracking branches and tags created or moved (or refused), in name order.</param>
/// <param name="Transfer">What went over the wire.</param>
public sealed record FetchResult(string Remote, string Url, string? RemoteHead, IReadOnlyList<RefUpdate> Updates, TransferStats Transfer);

/// <summary>What a pull did.</summary>
/// <param name="Fetch">The fetch it ran first.</param>
/// <param name="Branch">The local branch that moved.</param>
/// <param name="Upstream">The remote-tracking ref it moved to (origin/main).</param>
/// <param name="Old">The branch before, or null when it had no commit.</param>
/// <param name="New">The branch after.</param>
/// <param name="Merged">True when a merge commit was recorded.</param>
/// <param name="Checkout">The working-tree update, or null when nothing changed.</param>
public sealed record PullResult(FetchResult Fetch, string Branch, string Upstream, ObjectId? Old, ObjectId? New, bool Merged, CheckoutResult? Checkout)
{
    /// <summary>True when the branch did not move.</summary>
    public bool UpToDate => Old == New;
}

/// <summary>What a clone did.</summary>
/// <param name="Directory">The new working tree.</param>
/// <param name="Branch">The branch checked out (it may have no commit when the remote is empty).</param>
/// <param name="Resumed">True when an interrupted clone was completed.</param>
/// <param name="Fetch">The fetch.</param>
/// <param name="Checkout">The checkout, or null for an empty remote.</param>
public sealed record CloneResult(string Directory, string Branch, bool Resumed, FetchResult Fetch, CheckoutResult? Checkout);
