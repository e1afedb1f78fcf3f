using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Lmvp.Store.Codecs;

namespace Lmvp.Store.Chunking;

/// <summary>Reads a stream once and produces its file id, its content-defined chunks and their ids.</summary>
/// <remarks>
/// Three stages overlap across cores: this thread reads and finds cut points; one worker hashes the whole
/// content (the file id) and each chunk; another hands the hashed chunks to the sink, which encodes and stores
/// them. (With the chunk hashes on the sink's worker, that worker alone was the critical path of a commit.)
/// Buffers come from a fixed ring, so memory stays at <see cref="BufferCount"/> x <see cref="BufferSize"/>
/// whatever the file size.
/// Small inputs take a single-threaded path: thread hand-offs cost more than they save there.
/// One instance processes one file at a time (it keeps its buffers between files).
/// </remarks>
internal sealed class ChunkPipeline
{
    /// <summary>The size of one read buffer.</summary>
    /// <remarks>2 MiB: eight maximum-size chunks, and the encoding arena of a segment is as large again. With 8 MiB buffers a
    /// 2 GiB `lmvp commit` peaked at 115 MB, with 2 MiB at 78 MB, no slower (quiet runs, BENCHMARKS.md, issue 10).</remarks>
    public const int BufferSize = 2 * 1024 * 1024;

    /// <summary>How many buffers may be in flight at once.</summary>
    public const int BufferCount = 4;

    private const int SmallFileLimit = 4 * 1024 * 1024;

    private readonly Chunker _chunker;

    // Kept across files: allocating 32 MiB per file churned the large-object heap (a 20-file commit peaked at 275 MB).
    private byte[][]? _buffers;

    /// <summary>Creates a pipeline over a chunker.</summary>
    public ChunkPipeline(Chunker chunker)
    {
        _chunker = chunker;
    }

    /// <summary>Chunks and hashes <paramref name="source"/> to its end, passing every chunk to <paramref name="sink"/>.</summary>
    public ChunkedFile Process(Stream source, long expectedLength, IChunkSink sink, ICutPointSource? cuts = null, Action<int>? onRead = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        return expectedLength <= SmallFileLimit
            ? ProcessSmall(source, expectedLength, sink, cuts, onRead, cancellationToken)
            : ProcessLarge(source, sink, cuts, onRead, cancellationToken);
    }

    private ChunkedFile ProcessSmall(Stream source, long expectedLength, IChunkSink sink, ICutPointSource? cuts, Action<int>? onRead, CancellationToken cancellationToken)
    {
        // One byte more than expected tells us whether the file grew after its stat.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(expectedLength, 0) + 1);
        try
        {
            var filled = ReadFully(source, buffer, 0, buffer.Length, cancellationToken);
            if (filled > expectedLength)
            {
                // Larger than its stat said: it grew while we read. Re-read it on the streaming path.
                source.Position = 0;
                return ProcessLarge(source, sink, cuts, onRead, cancellationToken);
            }

            onRead?.Invoke(filled);
            var data = buffer.AsSpan(0, filled);
            var chunks = new List<ChunkRef>();
            var kinds = new List<ElementKind>();
            var pos = 0;
            while (pos < filled)
            {
                var len = NextLength(data[pos..], isFinal: true, cuts, pos);
                chunks.Add(new ChunkRef(ObjectId.Compute(data.Slice(pos, len)), len));
                kinds.Add(cuts?.KindAt(pos) ?? ElementKind.Unknown);
                pos += len;
            }

            sink.Accept(CollectionsMarshal.AsSpan(chunks), CollectionsMarshal.AsSpan(kinds), data);
            return new ChunkedFile(ObjectId.Compute(data), filled, chunks);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ChunkedFile ProcessLarge(Stream source, IChunkSink sink, ICutPointSource? cuts, Action<int>? onRead, CancellationToken cancellationToken)
    {
        using var free = new BlockingCollection<byte[]>(BufferCount);
        _buffers ??= Enumerable.Range(0, BufferCount).Select(_ => GC.AllocateUninitializedArray<byte>(BufferSize)).ToArray();
        foreach (var buffer in _buffers)
        {
            free.Add(buffer, CancellationToken.None);
        }

        using var toHasher = new BlockingCollection<Segment>(BufferCount);
        using var toSink = new BlockingCollection<Segment>(BufferCount);
        using var failed = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, failed.Token);
        var token = linked.Token;
        ExceptionDispatchInfo? workerError = null;
        var chunks = new List<ChunkRef>();
        ObjectId fileId = default;

        void Fail(Exception e)
        {
            Interlocked.CompareExchange(ref workerError, ExceptionDispatchInfo.Capture(e), null);
            failed.Cancel();
        }

        var hasher = Task.Factory.StartNew(() =>
        {
            var zeroIds = new Dictionary<int, ObjectId>();
            try
            {
                using var fileHasher = Blake3.Hasher.New();
                try
                {
                    foreach (var segment in toHasher.GetConsumingEnumerable(token))
                    {
                        fileHasher.Update(segment.Buffer.AsSpan(0, segment.Length));
                        var pos = 0;
                        for (var i = 0; i < segment.Chunks.Length; i++)
                        {
                            var len = segment.ChunkLengths[i];
                            segment.Chunks[i] = new ChunkRef(HashChunk(segment.Buffer.AsSpan(pos, len), zeroIds), len);
                            pos += len;
                        }

                        toSink.Add(segment, token);
                    }
                }
                finally
                {
                    toSink.CompleteAdding();
                }

                Span<byte> hash = stackalloc byte[ObjectId.Size];
                fileHasher.Finalize(hash);
                fileId = new ObjectId(hash);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var sinkWorker = Task.Factory.StartNew(() =>
        {
            var kinds = new List<ElementKind>();
            long offset = 0;
            try
            {
                foreach (var segment in toSink.GetConsumingEnumerable(token))
                {
                    var pos = 0;
                    kinds.Clear();
                    foreach (var len in segment.ChunkLengths)
                    {
                        kinds.Add(cuts?.KindAt(offset + pos) ?? ElementKind.Unknown);
                        pos += len;
                    }

                    offset += pos;
                    chunks.AddRange(segment.Chunks);
                    sink.Accept(segment.Chunks, CollectionsMarshal.AsSpan(kinds), segment.Buffer.AsSpan(0, segment.Length));
                    free.Add(segment.Buffer, CancellationToken.None);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        long total = 0;
        try
        {
            var buffer = free.Take(token);
            var filled = 0;
            var eof = false;
            while (true)
            {
                if (!eof)
                {
                    var read = ReadFully(source, buffer, filled, buffer.Length - filled, token);
                    eof = filled + read < buffer.Length;
                    filled += read;
                    onRead?.Invoke(read);
                }

                var lengths = new List<int>();
                var pos = 0;
                while (pos < filled)
                {
                    var len = NextLength(buffer.AsSpan(pos, filled - pos), eof, cuts, total + pos);
                    if (len == 0)
                    {
                        break;
                    }

                    lengths.Add(len);
                    pos += len;
                }

                var next = eof && pos == filled ? null : free.Take(token);
                if (next is not null)
                {
                    buffer.AsSpan(pos, filled - pos).CopyTo(next);
                }

                if (lengths.Count > 0)
                {
                    toHasher.Add(new Segment(buffer, pos, lengths), token);
                }
                else
                {
                    free.Add(buffer, CancellationToken.None);
                }

                total += pos;
                if (next is null)
                {
                    break;
                }

                filled -= pos;
                buffer = next;
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            toHasher.CompleteAdding();
            Task.WaitAll(hasher, sinkWorker);
        }

        workerError?.Throw();
        cancellationToken.ThrowIfCancellationRequested();
        return new ChunkedFile(fileId, total, chunks);
    }

    /// <summary>Hashes a chunk; all-zero chunks (holes, padding) are hashed once per length.</summary>
    private static ObjectId HashChunk(ReadOnlySpan<byte> chunk, Dictionary<int, ObjectId> zeroIds)
    {
        if (chunk.IndexOfAnyExcept((byte)0) >= 0)
        {
            return ObjectId.Compute(chunk);
        }

        if (!zeroIds.TryGetValue(chunk.Length, out var id))
        {
            id = ObjectId.Compute(chunk);
            zeroIds[chunk.Length] = id;
        }

        return id;
    }

    /// <summary>The length of the chunk starting at <paramref name="offset"/>: a fixed piece or a content-defined cut, never past the next preferred cut.</summary>
    private int NextLength(ReadOnlySpan<byte> data, bool isFinal, ICutPointSource? cuts, long offset)
    {
        if (cuts is null)
        {
            return _chunker.NextChunkLength(data, isFinal);
        }

        var next = cuts.NextCut(offset);
        var limit = next.Offset - offset >= int.MaxValue ? int.MaxValue : (int)(next.Offset - offset);
        return _chunker.NextChunkLength(data, isFinal, limit, next.Fixed && limit <= _chunker.Parameters.MaxSize);
    }

    private static int ReadFully(Stream source, byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = source.Read(buffer, offset + total, count - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private sealed class Segment(byte[] buffer, int length, List<int> chunkLengths)
    {
        public readonly byte[] Buffer = buffer;
        public readonly int Length = length;
        public readonly List<int> ChunkLengths = chunkLengths;

        // Filled by the hashing worker before the segment reaches the sink.
        public readonly ChunkRef[] Chunks = new ChunkRef[chunkLengths.Count];
    }
}
