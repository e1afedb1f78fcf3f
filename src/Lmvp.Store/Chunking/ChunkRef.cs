namespace Lmvp.Store.Chunking;

/// <summary>One chunk of a file: its id and length, in file order.</summary>
internal readonly record struct ChunkRef(ObjectId Id, int Length);

/// <summary>Receives each chunk of a file, in order, with its verified id and bytes.</summary>
internal interface IChunkSink
{
    /// <summary>Called once per chunk, in file order, on one thread.</summary>
    void Accept(ObjectId id, ReadOnlySpan<byte> data);
}

/// <summary>The result of chunking one file: its whole-content id, its size and its chunks.</summary>
internal sealed record ChunkedFile(ObjectId FileId, long Size, IReadOnlyList<ChunkRef> Chunks);
