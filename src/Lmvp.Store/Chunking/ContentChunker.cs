namespace Lmvp.Store.Chunking;

/// <summary>Receives consecutive chunks of one file laid back to back in <paramref name="data"/>, in file order, on one thread.</summary>
/// <param name="chunks">The chunks' ids and lengths.</param>
/// <param name="data">Their bytes, valid only during the call.</param>
public delegate void ChunkBatchHandler(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data);

/// <summary>Cuts content into chunks exactly as <c>lmvp commit</c> does, for callers outside a repository (lmvp-server chunking a
/// file uploaded over HTTP), so the same bytes give the same chunks and the same file id wherever they are chunked.</summary>
/// <remarks>Memory stays bounded whatever the length (the pipeline's fixed buffer ring). One instance chunks one stream at a time.
/// A seekable source holding a model file gets the tensor-aligned cuts of <see cref="FileChunker"/>, as a commit of it does; a source
/// that cannot seek is cut by content alone (the same file id, not always the same chunks).</remarks>
public sealed class ContentChunker
{
    private readonly FileChunker _chunker = new();

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
        return _chunker.Chunk(source, expectedLength, null, new HandlerSink(onChunks), onRead, cancellationToken).Manifest;
    }

    private sealed class HandlerSink(ChunkBatchHandler handler) : IChunkSink
    {
        public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<Codecs.ElementKind> kinds, ReadOnlySpan<byte> data) => handler(chunks, data);
    }
}
