using Lmvp.Store;

namespace Lmvp.Server.Storage;

/// <summary>Chunk bytes, stored per repository so that what one repository holds never shows in another's answers.</summary>
/// <remarks>The seam for an S3-compatible implementation: endpoints use only this interface. Safe for concurrent use.</remarks>
internal interface IChunkStore
{
    /// <summary>The ids in <paramref name="ids"/> the repository does not hold, in order, each once.</summary>
    Task<IReadOnlyList<ObjectId>> FindMissingAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Starts a batch of chunks that becomes visible all at once on <see cref="IChunkBatch.CommitAsync"/>, or never.</summary>
    IChunkBatch BeginBatch(long repositoryId);

    /// <summary>Reads chunks in the order given, each verified against its id; an item's data is valid only until the next one.</summary>
    /// <exception cref="ObjectNotFoundException">The repository does not hold one of them.</exception>
    /// <exception cref="CorruptObjectException">Stored bytes are damaged.</exception>
    IAsyncEnumerable<ChunkData> ReadManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);
}

/// <summary>One chunk read from a store.</summary>
internal readonly record struct ChunkData(ObjectId Id, ReadOnlyMemory<byte> Data);

/// <summary>Chunks being added to a repository; disposing an uncommitted batch discards everything in it.</summary>
internal interface IChunkBatch : IAsyncDisposable
{
    /// <summary>Adds a chunk whose bytes the caller has already verified against <paramref name="id"/>; false when the
    /// repository or this batch already holds it.</summary>
    Task<bool> AddAsync(ObjectId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes every added chunk durable and visible.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
