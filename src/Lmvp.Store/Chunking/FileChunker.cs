using Lmvp.Store.Formats;
using Lmvp.Store.Graph;

namespace Lmvp.Store.Chunking;

/// <summary>What chunking one file found: its manifest (file id, size, chunks) and, for a model file, its tensor layout.</summary>
/// <param name="Manifest">The file's id, size and chunks.</param>
/// <param name="Layout">The tensors a format reader found, or null for a plain file.</param>
public sealed record FileChunkingResult(FileManifest Manifest, TensorLayout? Layout);

/// <summary>Cuts files into chunks exactly as a commit does: for a model file (safetensors, torch.save zip, ONNX, GGUF) at every
/// tensor start and header end with fixed pieces inside tensors, elsewhere by content (FastCDC); the same bytes give the same
/// chunks on every machine. The entry point for anything that stores files the way lmvp does (a server chunking uploads).</summary>
/// <remarks>Reads the source once (plus a few header ranges first when it can seek), hashing the file and its chunks on three
/// threads with a fixed ring of buffers, so memory stays bounded whatever the size. One instance chunks one file at a time and
/// keeps its buffers between files; it is not thread-safe.</remarks>
public sealed class FileChunker
{
    private readonly ChunkPipeline _pipeline = new(Chunker.Default);

    /// <summary>The piece size inside tensors (the bench measures others; 0 means content-defined there too).</summary>
    internal int PieceSize { get; init; } = TensorCuts.DefaultPieceSize;

    /// <summary>False to ignore model formats and cut by content only (the bench measures what the readers buy).</summary>
    internal bool ReadLayouts { get; init; } = true;

    /// <summary>Chunks <paramref name="source"/> from its current position to its end, handing every chunk to <paramref name="sink"/>.</summary>
    /// <param name="source">The file's bytes. When it can seek, its model header is read first (then it is read from the start).</param>
    /// <param name="path">The file's name or path, for recognizing its format (ONNX by its extension); null when unknown.</param>
    /// <param name="sink">Receives the chunks in order, with what each holds (for its stored encoding).</param>
    /// <param name="cancellationToken">Stops between buffers.</param>
    /// <returns>The file's manifest and layout.</returns>
    public FileChunkingResult Chunk(Stream source, string? path, IChunkSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        var expected = source.CanSeek ? source.Length - source.Position : long.MaxValue;
        return Chunk(source, expected, path, sink, null, cancellationToken);
    }

    internal FileChunkingResult Chunk(Stream source, long expectedLength, string? path, IChunkSink sink, Action<int>? onRead, CancellationToken cancellationToken)
    {
        var layout = ReadLayouts && source.CanSeek ? ReadLayout(source, path, cancellationToken) : null;
        var cuts = layout is null ? null : new TensorCuts(layout, PieceSize);
        var chunked = _pipeline.Process(source, expectedLength, sink, cuts, onRead, cancellationToken);
        return new FileChunkingResult(new FileManifest(chunked.FileId, chunked.Size, chunked.Chunks), layout);
    }

    /// <summary>The layout of a seekable stream's file, read without moving its position; null for a plain or malformed file.</summary>
    internal static TensorLayout? ReadLayout(Stream source, string? path, CancellationToken cancellationToken)
    {
        IRangeSource range = source is FileStream { SafeFileHandle: { IsInvalid: false } handle } file && file.Position == 0
            ? new FileRangeSource(handle, file.Length)
            : new StreamRangeSource(source);
        return Synchronously.Wait(ModelFormats.TryReadAsync(range, path, cancellationToken));
    }

    /// <summary>A seekable stream read by position from where it stood; restores the position after each read.</summary>
    private sealed class StreamRangeSource(Stream stream) : IRangeSource
    {
        private readonly long _start = stream.Position;

        public long Length => stream.Length - _start;

        public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            if (offset < 0 || offset > Length - destination.Length)
            {
                throw new LayoutException($"a header points past the end of the file (offset {offset}).");
            }

            var position = stream.Position;
            try
            {
                stream.Position = _start + offset;
                stream.ReadExactly(destination.Span);
            }
            catch (EndOfStreamException)
            {
                throw new LayoutException("the file is shorter than its size says.");
            }
            finally
            {
                stream.Position = position;
            }

            return default;
        }
    }
}
