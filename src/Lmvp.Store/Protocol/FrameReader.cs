using System.Buffers;
using System.Buffers.Binary;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Protocol;

/// <summary>One frame read from a stream; <see cref="Data"/> (the stored bytes) is valid until the next read.</summary>
/// <param name="Kind">What the frame holds.</param>
/// <param name="Id">Its id (BLAKE3 of the raw bytes; for a manifest, the file id).</param>
/// <param name="Data">Its bytes as sent: raw, or encoded per <paramref name="Encoding"/>.</param>
/// <param name="Encoding">How <paramref name="Data"/> encodes the raw bytes (always raw in a version 1 stream).</param>
/// <param name="RawLength">The declared length of the raw bytes; a decoder must produce exactly this many, never more.</param>
public readonly record struct Frame(ObjectKind Kind, ObjectId Id, ReadOnlyMemory<byte> Data, ChunkEncoding Encoding, int RawLength);

/// <summary>Reads a frame stream of either version, enforcing the size limits; malformed input throws <see cref="CorruptObjectException"/>.</summary>
/// <remarks>Frames are not verified here: the receiver decodes and hashes each one before keeping it. The frame buffer is
/// borrowed from an array pool (the shared one unless the caller names another) and given back on <see cref="Dispose"/> (a server
/// reads one stream per upload request, and a buffer grown per request was large-object garbage each time); a reader never
/// disposed leaves it to the GC.</remarks>
public sealed class FrameReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _maxFrame;
    private readonly byte[] _header = new byte[FrameFormat.FrameHeaderSizeV2];
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private bool _started;
    private bool _ended;

    /// <summary>Reads from <paramref name="stream"/>; frames larger than <paramref name="maxFrame"/> are refused; the frame buffer
    /// comes from <paramref name="pool"/> (the shared pool if null).</summary>
    public FrameReader(Stream stream, int maxFrame = ProtocolLimits.MaxObjectFrame, ArrayPool<byte>? pool = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _maxFrame = maxFrame;
        _pool = pool ?? ArrayPool<byte>.Shared;
        _buffer = _pool.Rent(64 * 1024);
    }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The stream's version (1 or 2), known once the first frame was read.</summary>
    public int Version { get; private set; }

    /// <summary>The next frame, or null after the end frame. A stream that stops before its end frame throws; an error frame throws
    /// <see cref="FrameStreamErrorException"/>.</summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_ended)
        {
            return null;
        }

        if (!_started)
        {
            var magic = new byte[FrameFormat.Magic.Length];
            await FillAsync(magic, cancellationToken).ConfigureAwait(false);
            Version = magic.AsSpan().SequenceEqual(FrameFormat.Magic) ? 1
                : magic.AsSpan().SequenceEqual(FrameFormat.MagicV2) ? 2
                : throw new CorruptObjectException("Not an lmvp frame stream (bad magic).");
            _started = true;
        }

        ObjectKind kind;
        ChunkEncoding encoding;
        ObjectId id;
        uint stored, raw;
        if (Version == 1)
        {
            var header = _header.AsMemory(0, FrameFormat.FrameHeaderSize);
            await FillAsync(header, cancellationToken).ConfigureAwait(false);
            kind = (ObjectKind)_header[0];
            encoding = ChunkEncoding.Raw;
            id = new ObjectId(_header.AsSpan(1, ObjectId.Size));
            stored = raw = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(1 + ObjectId.Size));
        }
        else
        {
            await FillAsync(_header, cancellationToken).ConfigureAwait(false);
            kind = (ObjectKind)_header[0];
            encoding = (ChunkEncoding)_header[1];
            id = new ObjectId(_header.AsSpan(2, ObjectId.Size));
            stored = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(2 + ObjectId.Size));
            raw = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(6 + ObjectId.Size));
        }

        if ((byte)kind == FrameFormat.EndKind)
        {
            if (stored != 0 || raw != 0 || !id.IsZero || encoding != ChunkEncoding.Raw)
            {
                throw new CorruptObjectException("Malformed end frame.");
            }

            _ended = true;
            return null;
        }

        if ((byte)kind == FrameFormat.ErrorKind)
        {
            if (stored > FrameFormat.MaxErrorFrame)
            {
                throw new CorruptObjectException($"Error frame of {stored} bytes exceeds the limit of {FrameFormat.MaxErrorFrame}.");
            }

            var text = new byte[stored];
            await FillAsync(text, cancellationToken).ConfigureAwait(false);
            _ended = true;
            throw FrameStreamErrorException.Read(id, text);
        }

        if (!Enum.IsDefined(kind))
        {
            throw new CorruptObjectException($"Unknown frame kind {(byte)kind}.");
        }

        if (FrameFormat.Check(kind, encoding, stored, raw, _maxFrame) is { } problem)
        {
            throw new CorruptObjectException(char.ToUpperInvariant(problem[0]) + problem[1..] + ".");
        }

        if (_buffer.Length < stored)
        {
            var grown = _pool.Rent((int)Math.Max(stored, (uint)_buffer.Length * 2));
            _pool.Return(_buffer);
            _buffer = grown;
        }

        var data = _buffer.AsMemory(0, (int)stored);
        await FillAsync(data, cancellationToken).ConfigureAwait(false);
        return new Frame(kind, id, data, encoding, (int)raw);
    }

    /// <summary>Gives the frame buffer back to the pool; the last frame read is no longer valid.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
            _buffer = [];
        }
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
