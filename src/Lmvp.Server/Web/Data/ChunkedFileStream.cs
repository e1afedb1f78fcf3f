using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Objects;

namespace Lmvp.Server.Web.Data;

/// <summary>A read-only, seekable, asynchronous view of a stored file that pulls its chunks from an <see cref="IChunkStore"/>
/// one at a time, so a download of any size holds about one chunk in memory.</summary>
/// <remarks>
/// The chunk store verifies every chunk against its id as it reads it. A read that runs from the first byte to the last
/// also hashes the whole content and throws <see cref="CorruptObjectException"/> at the end when it does not match the
/// file id; the response is then aborted rather than completed with bad bytes. ASP.NET's range handling seeks once to
/// the start of a range; chunks are then read sequentially from there.
/// </remarks>
internal sealed class ChunkedFileStream : Stream
{
    private readonly IChunkStore _store;
    private readonly long _repositoryId;
    private readonly FileManifest _manifest;
    private readonly long[] _starts;
    private readonly CancellationToken _cancellationToken;
    private readonly Blake3.Hasher _hasher = Blake3.Hasher.New();
    private bool _disposed;
    private IAsyncEnumerator<ChunkData>? _reader;
    private int _nextFromReader;
    private ReadOnlyMemory<byte> _chunk;
    private int _chunkIndex = -1;
    private long _hashedUpTo;
    private long _position;

    public ChunkedFileStream(IChunkStore store, long repositoryId, FileManifest manifest, CancellationToken cancellationToken)
    {
        _store = store;
        _repositoryId = repositoryId;
        _manifest = manifest;
        _cancellationToken = cancellationToken;
        _starts = new long[manifest.Chunks.Count + 1];
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            _starts[i + 1] = _starts[i] + manifest.Chunks[i].Length;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _manifest.Size;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _manifest.Size || buffer.Length == 0)
        {
            return 0;
        }

        var index = Array.BinarySearch(_starts, _position);
        if (index < 0)
        {
            index = ~index - 1;
        }

        await LoadAsync(index);
        var within = (int)(_position - _starts[index]);
        var n = Math.Min(buffer.Length, _chunk.Length - within);
        _chunk.Span.Slice(within, n).CopyTo(buffer.Span);
        if (_hashedUpTo == _position)
        {
            _hasher.Update(buffer.Span[..n]);
            _hashedUpTo += n;
            if (_hashedUpTo == _manifest.Size)
            {
                var hash = new byte[ObjectId.Size];
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

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads would block a server thread on storage; Kestrel never asks for them.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read this stream asynchronously.");

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

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_reader is not null)
            {
                await _reader.DisposeAsync();
                _reader = null;
            }

            _hasher.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;

            // The enumerator holds a pooled connection and a rented buffer. The local store's completes synchronously;
            // Kestrel disposes response streams asynchronously, so this path is only for other callers.
            _reader?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _reader = null;
            _hasher.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask LoadAsync(int index)
    {
        if (index == _chunkIndex)
        {
            return;
        }

        if (_reader is null || index < _nextFromReader)
        {
            // First read, or a seek backwards: start a sequential read of the chunks from here to the end of the file.
            if (_reader is not null)
            {
                await _reader.DisposeAsync();
            }

            _reader = _store.ReadManyAsync(_repositoryId, new ChunkIds(_manifest, index), _cancellationToken).GetAsyncEnumerator(_cancellationToken);
            _nextFromReader = index;
        }

        _chunkIndex = -1;
        while (_nextFromReader <= index)
        {
            if (!await _reader.MoveNextAsync())
            {
                throw new ObjectNotFoundException($"File {_manifest.FileId.ToShortString()} ends early in the chunk store.");
            }

            _nextFromReader++;
        }

        var chunk = _reader.Current;
        if (chunk.Id != _manifest.Chunks[index].Id || chunk.Data.Length != _manifest.Chunks[index].Length)
        {
            throw new CorruptObjectException($"Chunk {_manifest.Chunks[index].Id.ToShortString()} does not match the manifest of file {_manifest.FileId.ToShortString()}.");
        }

        _chunk = chunk.Data;
        _chunkIndex = index;
    }

    /// <summary>The chunk ids of a manifest from one index on, without copying them.</summary>
    private sealed class ChunkIds(FileManifest manifest, int start) : IReadOnlyList<ObjectId>
    {
        public ObjectId this[int index] => manifest.Chunks[start + index].Id;

        public int Count => manifest.Chunks.Count - start;

        public IEnumerator<ObjectId> GetEnumerator()
        {
            for (var i = start; i < manifest.Chunks.Count; i++)
            {
                yield return manifest.Chunks[i].Id;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
