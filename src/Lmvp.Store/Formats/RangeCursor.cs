namespace Lmvp.Store.Formats;

/// <summary>Sequential small reads over an <see cref="IRangeSource"/> through a 64 KiB window, with jumps (skipping a tensor's
/// bytes costs nothing).</summary>
internal sealed class RangeCursor(IRangeSource source)
{
    private const int WindowSize = 64 * 1024;

    private readonly byte[] _window = new byte[WindowSize];
    private long _windowStart;
    private int _windowLength;

    public long Position { get; set; }

    public long Length => source.Length;

    public async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        if (Position < _windowStart || Position >= _windowStart + _windowLength)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        return _window[Position++ - _windowStart];
    }

    /// <summary>A protobuf base-128 varint (at most 10 bytes).</summary>
    public async ValueTask<ulong> ReadVarintAsync(CancellationToken cancellationToken)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = await ReadByteAsync(cancellationToken).ConfigureAwait(false);
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new LayoutException($"a varint at {Position} is longer than 10 bytes.");
    }

    /// <summary><paramref name="count"/> bytes from here (at most 1 MiB: names and small fields).</summary>
    public async ValueTask<byte[]> ReadBytesAsync(long count, CancellationToken cancellationToken)
    {
        if (count < 0 || count > (1 << 20) || count > Length - Position)
        {
            throw new LayoutException($"a field of {count} bytes at {Position} does not fit.");
        }

        var bytes = new byte[count];
        await source.ReadAsync(Position, bytes, cancellationToken).ConfigureAwait(false);
        Position += count;
        return bytes;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (Position < 0 || Position >= Length)
        {
            throw new LayoutException($"a field runs past the end of the file (offset {Position}).");
        }

        _windowStart = Position;
        _windowLength = (int)Math.Min(WindowSize, Length - Position);
        await source.ReadAsync(_windowStart, _window.AsMemory(0, _windowLength), cancellationToken).ConfigureAwait(false);
    }
}
