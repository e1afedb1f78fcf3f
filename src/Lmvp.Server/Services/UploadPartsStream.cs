using System.Buffers;
using System.Security.Cryptography;
using Lmvp.Server.Storage;
using Lmvp.Store;

namespace Lmvp.Server.Services;

/// <summary>The parts of an upload read back to back as one seekable file, hashed with SHA-256 in file order.</summary>
/// <remarks>Seekable so that the chunker can read a model file's header (a zip's central directory sits at its end) before its
/// one pass from the start, and cut the upload at its tensors exactly as a commit of the same file is cut. Bytes are hashed
/// only where they extend the prefix hashed so far, so header reads ahead of the pass leave the digest that of the file.</remarks>
internal sealed class UploadPartsStream : Stream
{
    private readonly IBlobStore _blobs;
    private readonly IReadOnlyList<UploadPart> _parts;
    private readonly IncrementalHash _sha;
    private readonly CancellationToken _cancellationToken;
    private readonly long[] _starts;
    private long _position;
    private long _hashed;

    public UploadPartsStream(IBlobStore blobs, IReadOnlyList<UploadPart> parts, IncrementalHash sha, CancellationToken cancellationToken)
    {
        (_blobs, _parts, _sha, _cancellationToken) = (blobs, parts, sha, cancellationToken);
        _starts = new long[parts.Count + 1];
        for (var i = 0; i < parts.Count; i++)
        {
            _starts[i + 1] = _starts[i] + parts[i].Length;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _starts[^1];

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = Read(rented, 0, buffer.Length);
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (count == 0 || _position >= Length)
        {
            return 0;
        }

        // The part holding the position: the last whose start is at or before it (empty parts are skipped).
        var index = Array.BinarySearch(_starts, _position);
        var part = index >= 0 ? index : ~index - 1;
        while (_parts[part].Length == 0)
        {
            part++;
        }

        var within = _position - _starts[part];
        var want = (int)Math.Min(count, _parts[part].Length - within);
        var n = _blobs.ReadAsync(_parts[part].Blob, within, buffer.AsMemory(offset, want), _cancellationToken).GetAwaiter().GetResult();
        if (n == 0)
        {
            throw new CorruptObjectException($"upload part {_parts[part].Blob} ends at {within} of its {_parts[part].Length} bytes");
        }

        if (_position <= _hashed && _position + n > _hashed)
        {
            var skip = (int)(_hashed - _position);
            _sha.AppendData(buffer, offset + skip, n - skip);
            _hashed = _position + n;
        }

        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush() { }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
