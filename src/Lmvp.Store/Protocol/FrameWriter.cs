using System.Buffers.Binary;

namespace Lmvp.Store.Protocol;

/// <summary>Writes a frame stream.</summary>
public sealed class FrameWriter
{
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[FrameFormat.FrameHeaderSize];
    private bool _started;

    /// <summary>Writes to <paramref name="stream"/>; the caller owns and disposes it.</summary>
    public FrameWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>Bytes written so far (headers included).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes one frame.</summary>
    public async ValueTask WriteAsync(ObjectKind kind, ObjectId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"{kind} is not an object kind.", nameof(kind));
        }

        await StartAsync(cancellationToken).ConfigureAwait(false);
        FillHeader((byte)kind, id, data.Length);
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        BytesWritten += _header.Length + data.Length;
    }

    /// <summary>Writes an error frame, the stream's last, about <paramref name="id"/> (zero when it concerns no one object), and flushes.</summary>
    public async ValueTask FailAsync(ObjectId id, ApiError error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        var data = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(error, ProtocolJsonContext.Default.ApiError);
        if (data.Length > FrameFormat.MaxErrorFrame)
        {
            data = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(error with { Error = error.Error[..1000] }, ProtocolJsonContext.Default.ApiError);
        }

        await StartAsync(cancellationToken).ConfigureAwait(false);
        FillHeader(FrameFormat.ErrorKind, id, data.Length);
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        BytesWritten += _header.Length + data.Length;
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the end frame and flushes.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        FillHeader(FrameFormat.EndKind, ObjectId.Zero, 0);
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        BytesWritten += _header.Length;
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            _started = true;
            await _stream.WriteAsync(FrameFormat.Magic.ToArray(), cancellationToken).ConfigureAwait(false);
            BytesWritten += FrameFormat.Magic.Length;
        }
    }

    private void FillHeader(byte kind, ObjectId id, int length)
    {
        _header[0] = kind;
        id.CopyTo(_header.AsSpan(1));
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(1 + ObjectId.Size), (uint)length);
    }
}
