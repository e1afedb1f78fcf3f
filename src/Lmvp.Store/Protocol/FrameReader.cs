using System.Buffers.Binary;

namespace Lmvp.Store.Protocol;

/// <summary>One frame read from a stream; <see cref="Data"/> is valid until the next read.</summary>
public readonly record struct Frame(ObjectKind Kind, ObjectId Id, ReadOnlyMemory<byte> Data);

/// <summary>Reads a frame stream, enforcing the size limits; malformed input throws <see cref="CorruptObjectException"/>.</summary>
/// <remarks>Frames are not verified here: the receiver hashes each one before keeping it.</remarks>
public sealed class FrameReader
{
    private readonly Stream _stream;
    private readonly int _maxFrame;
    private readonly byte[] _header = new byte[FrameFormat.FrameHeaderSize];
    private byte[] _buffer = new byte[64 * 1024];
    private bool _started;
    private bool _ended;

    /// <summary>Reads from <paramref name="stream"/>; frames larger than <paramref name="maxFrame"/> are refused.</summary>
    public FrameReader(Stream stream, int maxFrame = ProtocolLimits.MaxObjectFrame)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _maxFrame = maxFrame;
    }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The next frame, or null after the end frame. A stream that stops before its end frame throws; an error frame throws
    /// <see cref="FrameStreamErrorException"/>.</summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return null;
        }

        if (!_started)
        {
            var magic = new byte[FrameFormat.Magic.Length];
            await FillAsync(magic, cancellationToken).ConfigureAwait(false);
            if (!magic.AsSpan().SequenceEqual(FrameFormat.Magic))
            {
                throw new CorruptObjectException("Not an lmvp frame stream (bad magic).");
            }

            _started = true;
        }

        await FillAsync(_header, cancellationToken).ConfigureAwait(false);
        var id = new ObjectId(_header.AsSpan(1, ObjectId.Size));
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(1 + ObjectId.Size));
        if (_header[0] == FrameFormat.EndKind)
        {
            if (length != 0 || !id.IsZero)
            {
                throw new CorruptObjectException("Malformed end frame.");
            }

            _ended = true;
            return null;
        }

        if (_header[0] == FrameFormat.ErrorKind)
        {
            if (length > FrameFormat.MaxErrorFrame)
            {
                throw new CorruptObjectException($"Error frame of {length} bytes exceeds the limit of {FrameFormat.MaxErrorFrame}.");
            }

            var text = new byte[length];
            await FillAsync(text, cancellationToken).ConfigureAwait(false);
            _ended = true;
            throw FrameStreamErrorException.Read(id, text);
        }

        var kind = (ObjectKind)_header[0];
        if (!Enum.IsDefined(kind))
        {
            throw new CorruptObjectException($"Unknown frame kind {_header[0]}.");
        }

        var limit = kind == ObjectKind.Chunk ? Math.Min(_maxFrame, ProtocolLimits.MaxChunkFrame) : _maxFrame;
        if (length > limit)
        {
            throw new CorruptObjectException($"Frame of {length} bytes exceeds the limit of {limit}.");
        }

        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }

        var data = _buffer.AsMemory(0, (int)length);
        await FillAsync(data, cancellationToken).ConfigureAwait(false);
        return new Frame(kind, id, data);
    }

    private async ValueTask FillAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = await _stream.ReadAsync(destination[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new CorruptObjectException("The frame stream ended early (truncated upload or download).");
            }

            total += n;
        }

        BytesRead += total;
    }
}
