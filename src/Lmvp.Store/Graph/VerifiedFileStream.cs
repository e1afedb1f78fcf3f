namespace Lmvp.Store.Graph;

/// <summary>A read-only, seekable view of a stored file, assembled from its chunks as they are read.</summary>
/// <remarks>
/// The chunk source verifies every chunk against its id. A read that runs from the first byte to the last also hashes the
/// whole content and throws <see cref="CorruptObjectException"/> at the end when it does not match the file id, so a
/// caller never completes with bad bytes. Chunks are asked for in runs (from the current one to the end), so a sequential
/// read holds about one chunk in memory and a source can fetch ahead; a seek outside the current run starts a new run.
/// The synchronous <see cref="Read(byte[], int, int)"/> blocks on the source; the client's completes at once.
/// </remarks>
public sealed class VerifiedFileStream : Stream
{
    /// <summary>A forward seek past this many chunks starts a new run instead of reading through them.</summary>
    private const int ReadThroughChunks = 4;

    private readonly IChunkSource _source;
    private readonly FileManifest _manifest;
    private readonly long[] _starts;
    private readonly CancellationToken _cancellationToken;
    private readonly Blake3.Hasher _hasher = Blake3.Hasher.New();
    private IAsyncEnumerator<ReadOnlyMemory<byte>>? _run;
    private int _nextInRun;
    private ReadOnlyMemory<byte> _chunk;
    private int _chunkIndex = -1;
    private long _hashedUpTo;
    private long _position;
    private bool _disposed;

    /// <summary>Opens the file <paramref name="manifest"/> describes, reading chunks from <paramref name="source"/>.</summary>
    /// <param name="source">Where the chunks are.</param>
    /// <param name="manifest">The file.</param>
    /// <param name="cancellationToken">Cancels the reads of chunk runs (a request being aborted).</param>
    public VerifiedFileStream(IChunkSource source, FileManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(manifest);
        _source = source;
        _manifest = manifest;
        _cancellationToken = cancellationToken;
        _starts = new long[manifest.Chunks.Count + 1];
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            _starts[i + 1] = _starts[i] + manifest.Chunks[i].Length;
        }
    }

    /// <summary>The file's id.</summary>
    public ObjectId FileId => _manifest.FileId;

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => true;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => _manifest.Size;

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (_position >= _manifest.Size || buffer.Length == 0)
        {
            return 0;
        }

        var index = ChunkAt(_position);
        if (index != _chunkIndex)
        {
            Synchronously.Wait(LoadAsync(index));
        }

        return CopyOut(index, buffer);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _manifest.Size || buffer.Length == 0)
        {
            return 0;
        }

        var index = ChunkAt(_position);
        if (index != _chunkIndex)
        {
            await LoadAsync(index).ConfigureAwait(false);
        }

        return CopyOut(index, buffer.Span);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _manifest.Size + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return target;
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_run is not null)
            {
                await _run.DisposeAsync().ConfigureAwait(false);
                _run = null;
            }

            _hasher.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (_run is not null)
            {
                Synchronously.Wait(_run.DisposeAsync());
                _run = null;
            }

            _hasher.Dispose();
        }

        base.Dispose(disposing);
    }

    private int ChunkAt(long position)
    {
        var index = Array.BinarySearch(_starts, position);
        return index < 0 ? ~index - 1 : index;
    }

    private int CopyOut(int index, Span<byte> buffer)
    {
        var within = (int)(_position - _starts[index]);
        var n = Math.Min(buffer.Length, _chunk.Length - within);
        _chunk.Span.Slice(within, n).CopyTo(buffer);
        if (_hashedUpTo == _position)
        {
            _hasher.Update(buffer[..n]);
            _hashedUpTo += n;
            if (_hashedUpTo == _manifest.Size)
            {
                Span<byte> hash = stackalloc byte[ObjectId.Size];
                _hasher.Finalize(hash);
                if (new ObjectId(hash) != _manifest.FileId)
                {
                    throw new CorruptObjectException($"File {_manifest.FileId.ToShortString()} is corrupt: its chunks do not hash to its id.");
                }
            }
        }

        _position += n;
        return n;
    }

    private async ValueTask LoadAsync(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_run is null || index < _nextInRun || index > _nextInRun + ReadThroughChunks)
        {
            if (_run is not null)
            {
                await _run.DisposeAsync().ConfigureAwait(false);
            }

            _run = _source.ReadChunksAsync(new ChunkRun(_manifest, index), _cancellationToken).GetAsyncEnumerator(_cancellationToken);
            _nextInRun = index;
        }

        _chunkIndex = -1;
        while (_nextInRun <= index)
        {
            if (!await _run.MoveNextAsync().ConfigureAwait(false))
            {
                throw new ObjectNotFoundException($"File {_manifest.FileId.ToShortString()} ends early in the chunk store.");
            }

            _nextInRun++;
        }

        var chunk = _run.Current;
        if (chunk.Length != _manifest.Chunks[index].Length)
        {
            throw new CorruptObjectException($"Chunk {_manifest.Chunks[index].Id.ToShortString()} of file {_manifest.FileId.ToShortString()} has {chunk.Length} bytes, not {_manifest.Chunks[index].Length}.");
        }

        _chunk = chunk;
        _chunkIndex = index;
    }

    /// <summary>The chunks of a manifest from one index on, without copying them.</summary>
    private sealed class ChunkRun(FileManifest manifest, int start) : IReadOnlyList<ChunkRef>
    {
        public ChunkRef this[int index] => manifest.Chunks[start + index];

        public int Count => manifest.Chunks.Count - start;

        public IEnumerator<ChunkRef> GetEnumerator()
        {
            for (var i = start; i < manifest.Chunks.Count; i++)
            {
                yield return manifest.Chunks[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
