namespace Lmvp.Store.Objects;

/// <summary>A read-only, seekable view of a stored file, assembled from its chunks.</summary>
/// <remarks>Every chunk is verified against its id as it is loaded. A read that runs sequentially from the first byte
/// to the last also verifies the whole content against the file id and throws at the end if it does not match.</remarks>
internal sealed class FileContentStream : Stream
{
    private readonly ObjectStore _store;
    private readonly FileManifest _manifest;
    private readonly long[] _starts;
    private readonly Blake3.Hasher _hasher = Blake3.Hasher.New();
    private long _hashedUpTo;
    private byte[] _chunk = [];
    private int _chunkIndex = -1;
    private long _position;

    public FileContentStream(ObjectStore store, FileManifest manifest)
    {
        _store = store;
        _manifest = manifest;
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

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
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

        Load(index);
        var within = (int)(_position - _starts[index]);
        var n = Math.Min(buffer.Length, _chunk.Length - within);
        _chunk.AsSpan(within, n).CopyTo(buffer);
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hasher.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Load(int index)
    {
        if (index == _chunkIndex)
        {
            return;
        }

        var chunk = _manifest.Chunks[index];
        if (_chunk.Length != chunk.Length)
        {
            _chunk = new byte[chunk.Length];
        }

        _chunkIndex = -1;
        _store.ReadChunk(chunk.Id, _chunk);
        _chunkIndex = index;
    }
}
