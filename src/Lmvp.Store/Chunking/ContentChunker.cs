namespace Lmvp.Store.Chunking;

/// <summary>Receives consecutive chunks of one file laid back to back in <paramref name="data"/>, in file order, on one thread.</summary>
/// <param name="chunks">The chunks' ids and lengths.</param>
/// <param name="data">Their bytes, valid only during the call.</param>
public delegate void ChunkBatchHandler(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data);

/// <summary>Cuts content into chunks exactly as <c>lmvp commit</c> does, for callers outside a repository (lmvp-server chunking a
/// file uploaded over HTTP), so the same bytes give the same chunks and the same file id wherever they are chunked.</summary>
/// <remarks>Memory stays bounded whatever the length (the pipeline's fixed buffer ring). One instance chunks one stream at a time.</remarks>
public sealed class ContentChunker
{
    private readonly ChunkPipeline _pipeline = new(Chunker.Default);

    /// <summary>Reads <paramref name="source"/> from its position to its end and returns its manifest; every chunk goes to
    /// <paramref name="onChunks"/> before this returns.</summary>
    /// <param name="source">The content.</param>
    /// <param name="expectedLength">Its length if known (small inputs take a faster path), else <see cref="long.MaxValue"/>.</param>
    /// <param name="onChunks">Receives the chunks.</param>
    /// <param name="onRead">Told how many bytes each read returned, for progress.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public FileManifest Chunk(Stream source, long expectedLength, ChunkBatchHandler onChunks, Action<int>? onRead = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(onChunks);
        var chunked = _pipeline.Process(source, expectedLength, new HandlerSink(onChunks), onRead: onRead, cancellationToken: cancellationToken);
        return new FileManifest(chunked.FileId, chunked.Size, chunked.Chunks);
    }

    private sealed class HandlerSink(ChunkBatchHandler handler) : IChunkSink
    {
        public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data) => handler(chunks, data);
    }
}
