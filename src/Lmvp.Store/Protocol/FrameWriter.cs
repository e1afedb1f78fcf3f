using System.Buffers.Binary;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Protocol;

/// <summary>Writes a frame stream (version 1, or version 2 with chunks in their stored encoding).</summary>
public sealed class FrameWriter
{
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[FrameFormat.FrameHeaderSizeV2];
    private bool _started;

    /// <summary>Writes a version 1 stream to <paramref name="stream"/>; the caller owns and disposes it.</summary>
    public FrameWriter(Stream stream)
        : this(stream, 1)
    {
    }

    /// <summary>Writes a stream of <paramref name="version"/> (1 or 2) to <paramref name="stream"/>; the caller owns and disposes it.</summary>
    public FrameWriter(Stream stream, int version)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, 2);
        _stream = stream;
        Version = version;
    }

    /// <summary>The stream's version.</summary>
    public int Version { get; }

    /// <summary>Bytes written so far (headers included).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes one frame of raw bytes.</summary>
    public ValueTask WriteAsync(ObjectKind kind, ObjectId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        WriteStoredAsync(kind, id, ChunkEncoding.Raw, data.Length, data, cancellationToken);

    /// <summary>Writes one frame in its stored encoding (a version 2 stream only, for anything but raw bytes).</summary>
    public async ValueTask WriteStoredAsync(ObjectKind kind, ObjectId id, ChunkEncoding encoding, int rawLength, ReadOnlyMemory<byte> stored,
        CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"{kind} is not an object kind.", nameof(kind));
        }

        if (encoding != ChunkEncoding.Raw && Version < 2)
        {
            throw new InvalidOperationException("A version 1 frame stream carries raw bytes only.");
        }

        if (FrameFormat.Check(kind, encoding, (uint)stored.Length, (uint)rawLength, int.MaxValue) is { } problem)
        {
            throw new ArgumentException(problem, nameof(stored));
        }

        await StartAsync(cancellationToken).ConfigureAwait(false);
        var size = FillHeader((byte)kind, encoding, id, stored.Length, rawLength);
        await _stream.WriteAsync(_header.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(stored, cancellationToken).ConfigureAwait(false);
        BytesWritten += size + stored.Length;
    }

    /// <summary>Writes the end frame and flushes.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var size = FillHeader(FrameFormat.EndKind, ChunkEncoding.Raw, ObjectId.Zero, 0, 0);
        await _stream.WriteAsync(_header.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        BytesWritten += size;
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            _started = true;
            await _stream.WriteAsync((Version == 2 ? FrameFormat.MagicV2 : FrameFormat.Magic).ToArray(), cancellationToken).ConfigureAwait(false);
            BytesWritten += FrameFormat.Magic.Length;
        }
    }

    private int FillHeader(byte kind, ChunkEncoding encoding, ObjectId id, int storedLength, int rawLength)
    {
        if (Version == 1)
        {
            _header[0] = kind;
            id.CopyTo(_header.AsSpan(1));
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(1 + ObjectId.Size), (uint)storedLength);
            return FrameFormat.FrameHeaderSize;
        }

        _header[0] = kind;
        _header[1] = (byte)encoding;
        id.CopyTo(_header.AsSpan(2));
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(2 + ObjectId.Size), (uint)storedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(6 + ObjectId.Size), (uint)rawLength);
        return FrameFormat.FrameHeaderSizeV2;
    }
}
