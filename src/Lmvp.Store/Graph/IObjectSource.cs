namespace Lmvp.Store.Graph;

/// <summary>The read seam of the object graph: one repository's commits, trees and file manifests by id.</summary>
/// <remarks>
/// The client's index and lmvp-server's metadata store both implement it, so every algorithm of this folder (history,
/// flatten, walk, closure, diff, the verified file stream) is written once for both. Each method returns null when the
/// source does not hold the object, and throws <see cref="CorruptObjectException"/> when it holds a copy that does not
/// decode or hash to its id. A source whose reads complete synchronously (the client's SQLite index) makes the algorithms
/// run synchronously too, so the library's synchronous API over them blocks no thread and pays no hand-off.
/// </remarks>
public interface IObjectSource
{
    /// <summary>The commit <paramref name="id"/>, or null when the source does not hold it.</summary>
    ValueTask<Commit?> FindCommitAsync(ObjectId id, CancellationToken cancellationToken);

    /// <summary>The tree <paramref name="id"/>, or null when the source does not hold it.</summary>
    ValueTask<Tree?> FindTreeAsync(ObjectId id, CancellationToken cancellationToken);

    /// <summary>The manifest of file <paramref name="fileId"/>, or null when the source does not hold it.</summary>
    ValueTask<FileManifest?> FindManifestAsync(ObjectId fileId, CancellationToken cancellationToken);
}

/// <summary>The read seam of chunk bytes: one repository's chunks, read in a given order.</summary>
public interface IChunkSource
{
    /// <summary>The raw bytes of <paramref name="chunks"/> in order, each verified against its id; an item's memory is valid only
    /// until the next item is asked for.</summary>
    /// <exception cref="ObjectNotFoundException">The source does not hold one of them.</exception>
    /// <exception cref="CorruptObjectException">A stored chunk is damaged.</exception>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(IReadOnlyList<ChunkRef> chunks, CancellationToken cancellationToken);
}
