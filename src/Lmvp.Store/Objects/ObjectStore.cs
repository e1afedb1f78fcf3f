using Lmvp.Store.Graph;
using Lmvp.Store.Index;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Reads objects and chunks through the index and the packs, verifying every read: the client's side of the graph seams.</summary>
/// <remarks>Every read is synchronous (SQLite and a pack file), so the asynchronous seams complete at once.</remarks>
internal sealed class ObjectStore(RepositoryDatabase database, PackSet packs) : IObjectSource, IChunkSource
{
    public RepositoryDatabase Database => database;

    public PackSet Packs => packs;

    public Commit GetCommit(ObjectId id) => FindCommit(id) ?? throw new ObjectNotFoundException($"Commit {id.ToShortString()} not found.");

    public Commit? FindCommit(ObjectId id) => database.TryGetObject(id, ObjectKind.Commit, out var data) ? Commit.Decode(data, id) : null;

    public bool TryGetCommit(ObjectId id, out Commit? commit)
    {
        commit = FindCommit(id);
        return commit is not null;
    }

    public Tree GetTree(ObjectId id) => FindTree(id) ?? throw new ObjectNotFoundException($"Tree {id.ToShortString()} not found.");

    public Tree? FindTree(ObjectId id) => database.TryGetObject(id, ObjectKind.Tree, out var data) ? Tree.Decode(data, id) : null;

    public FileManifest GetManifest(ObjectId fileId) => FindManifest(fileId) ?? throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");

    public FileManifest? FindManifest(ObjectId fileId) =>
        database.TryGetObject(fileId, ObjectKind.Manifest, out var data) ? FileManifest.Decode(data, fileId) : null;

    public bool HasManifest(ObjectId fileId) => database.HasObject(fileId, ObjectKind.Manifest);

    /// <summary>The chunk list of a file, looked up through its manifest.</summary>
    public IReadOnlyList<ChunkRef> GetChunks(ObjectId fileId) => GetManifest(fileId).Chunks;

    /// <summary>Every file and symlink of a tree with its path, in path order.</summary>
    public IEnumerable<KeyValuePair<string, TreeEntry>> Flatten(ObjectId treeId) => TreeWalk.Flatten(this, treeId);

    /// <summary>Reads one chunk into <paramref name="destination"/> (exactly its length) and verifies its hash.</summary>
    public void ReadChunk(ObjectId id, Span<byte> destination)
    {
        if (!database.TryGetChunk(id, out var location))
        {
            throw new ObjectNotFoundException($"Chunk {id.ToShortString()} not found in the index.");
        }

        ReadChunk(id, location, destination);
    }

    /// <summary>Reads a chunk at a known location; safe to call from several threads.</summary>
    public void ReadChunk(ObjectId id, ChunkLocation location, Span<byte> destination, bool verify = true) =>
        packs.Get(location.PackId).ReadEntry(location.ToEntry(id), destination, verify);

    /// <summary>Reads a chunk's stored bytes (as encoded, for the wire); with <paramref name="verify"/>, only after checking that they
    /// decode to bytes that hash to its id (<paramref name="scratch"/> then holds at least its raw length). Safe to call from several threads.</summary>
    public void ReadStoredChunk(ObjectId id, ChunkLocation location, Span<byte> stored, Span<byte> scratch, bool verify = true) =>
        packs.Get(location.PackId).ReadStored(location.ToEntry(id), stored, scratch, verify);

    ValueTask<Commit?> IObjectSource.FindCommitAsync(ObjectId id, CancellationToken cancellationToken) => new(FindCommit(id));

    ValueTask<Tree?> IObjectSource.FindTreeAsync(ObjectId id, CancellationToken cancellationToken) => new(FindTree(id));

    ValueTask<FileManifest?> IObjectSource.FindManifestAsync(ObjectId fileId, CancellationToken cancellationToken) => new(FindManifest(fileId));

    IAsyncEnumerable<ReadOnlyMemory<byte>> IChunkSource.ReadChunksAsync(IReadOnlyList<ChunkRef> chunks, CancellationToken cancellationToken) =>
        Synchronously.AsAsync(ReadChunks(chunks));

    private IEnumerable<ReadOnlyMemory<byte>> ReadChunks(IReadOnlyList<ChunkRef> chunks)
    {
        // One buffer for the run: each item is valid until the next is asked for.
        var buffer = new byte[chunks.Count == 0 ? 0 : chunks.Max(c => c.Length)];
        foreach (var chunk in chunks)
        {
            ReadChunk(chunk.Id, buffer.AsSpan(0, chunk.Length));
            yield return buffer.AsMemory(0, chunk.Length);
        }
    }
}
