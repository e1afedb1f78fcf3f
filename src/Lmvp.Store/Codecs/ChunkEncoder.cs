using System.Buffers.Binary;
using Lmvp.Store.Packs;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Lmvp.Store.Codecs;

/// <summary>A chunk in its stored form: how it is encoded and its stored bytes (valid until the encoder's next call).</summary>
public readonly ref struct EncodedChunk
{
    internal EncodedChunk(ChunkEncoding encoding, ReadOnlySpan<byte> stored)
    {
        Encoding = encoding;
        Stored = stored;
    }

    /// <summary>How <see cref="Stored"/> encodes the raw bytes.</summary>
    public ChunkEncoding Encoding { get; }

    /// <summary>The bytes to store or send.</summary>
    public ReadOnlySpan<byte> Stored { get; }
}

/// <summary>Chooses and applies the stored encoding of chunks, one stream (a file, an upload) at a time: byte planes for
/// floats, plain zstd for what compresses as bytes, raw for what does not pay.</summary>
/// <remarks>
/// Decisions are made on samples, so an incompressible stream costs little: of every 16 chunks of a kind, one is tried
/// every way and the others follow its verdict. For floats the verdict is per byte plane (fp32 weights: the sign and
/// exponent plane compresses about 3x, the mantissa planes not at all, so they are never handed to zstd). Chunks of
/// unknown content are tried as plain zstd and as 4-byte planes (which also separates the two bytes of fp16 and bf16 values).
/// The zstd of planes finds almost no matches on purpose (hash log 6, minimum match 7): on exponent bytes short matches cost
/// more than the literals they replace, so what remains is zstd's entropy stage. Not thread-safe: one per thread.
/// </remarks>
public sealed class ChunkEncoder : IDisposable
{
    private const int SampleEvery = 16;
    private const int ProbeBytes = 8192;
    private const int MinEncodedSize = 512;

    private readonly Compressor _bytes = new(1);
    private readonly Compressor _planes = CreatePlaneCompressor();
    private readonly KindState[] _states = [new(), new(), new(), new(), new()];
    private byte[] _output = [];
    private byte[] _split = [];
    private bool _disposed;

    /// <summary>Forgets the decisions made on the previous stream.</summary>
    public void BeginStream()
    {
        foreach (var state in _states)
        {
            state.Reset();
        }
    }

    /// <summary>The stored form of <paramref name="raw"/>, whose content is <paramref name="kind"/>.</summary>
    /// <param name="raw">The chunk's bytes.</param>
    /// <param name="kind">What a format reader knows the bytes hold.</param>
    public EncodedChunk Encode(ReadOnlySpan<byte> raw, ElementKind kind = ElementKind.Unknown)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (raw.Length < MinEncodedSize || raw.Length > PackFormat.MaxEntrySize)
        {
            return new(ChunkEncoding.Raw, raw);
        }

        var state = _states[(int)kind < _states.Length ? (int)kind : 0];
        var sample = state.Seen++ % SampleEvery == 0;
        switch (kind)
        {
            case ElementKind.Float32:
            case ElementKind.Float16:
            case ElementKind.BFloat16:
                return EncodeFloats(raw, kind == ElementKind.Float32 ? 4 : 2, state, sample);
            case ElementKind.Opaque:
                if (sample)
                {
                    state.Mode = BytesPay(raw) ? Mode.Zstd : Mode.Raw;
                }

                return state.Mode == Mode.Zstd ? EncodeBytes(raw) : new(ChunkEncoding.Raw, raw);
            default:
                if (sample)
                {
                    Probe(raw, state);
                }

                return state.Mode switch
                {
                    Mode.Zstd => EncodeBytes(raw),
                    Mode.Planes => EncodeFloats(raw, 4, state, sample: false, ExponentLead(raw)),
                    _ => new(ChunkEncoding.Raw, raw),
                };
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _bytes.Dispose();
            _planes.Dispose();
        }
    }

    private static Compressor CreatePlaneCompressor()
    {
        var compressor = new Compressor(1);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_hashLog, 6);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_minMatch, 7);
        return compressor;
    }

    /// <summary>For 4-byte values at an unknown offset: the lead that puts the byte lane with the fewest distinct values (the
    /// sign and exponent bytes of floats) in the last plane, judged from the first 1 KiB.</summary>
    private static int ExponentLead(ReadOnlySpan<byte> raw)
    {
        Span<ulong> seen = stackalloc ulong[16];
        var sample = raw[..Math.Min(raw.Length, 1024)];
        for (var i = 0; i < sample.Length; i++)
        {
            var b = sample[i];
            seen[((i & 3) * 4) + (b >> 6)] |= 1UL << (b & 63);
        }

        var best = 0;
        var fewest = int.MaxValue;
        for (var lane = 0; lane < 4; lane++)
        {
            var distinct = 0;
            for (var w = 0; w < 4; w++)
            {
                distinct += System.Numerics.BitOperations.PopCount(seen[(lane * 4) + w]);
            }

            if (distinct < fewest)
            {
                (best, fewest) = (lane, distinct);
            }
        }

        return (best + 1) & 3;
    }

    /// <summary>Decides how chunks of unknown content are stored, from the first 8 KiB of this one: planes, zstd or raw.</summary>
    private void Probe(ReadOnlySpan<byte> raw, KindState state)
    {
        var lead = ExponentLead(raw);
        var probe = raw[lead..][..((Math.Min(raw.Length - lead, ProbeBytes)) & ~3)];
        var count = probe.Length / 4;
        Grow(ref _split, probe.Length);
        BytePlanes.Split(probe, 4, _split);
        var plane = 0;
        long planesTotal = 0;
        for (var k = 0; k < 4; k++)
        {
            var stored = TryCompress(_planes, _split.AsSpan(k * count, count), out _);
            if (stored < count - (count / 33))
            {
                plane |= 1 << k;
            }

            planesTotal += stored;
        }

        var bytesTotal = TryCompress(_bytes, probe, out _);
        state.Planes = plane;
        state.Mode = planesTotal <= bytesTotal && planesTotal < probe.Length - (probe.Length / 33) ? Mode.Planes
            : bytesTotal <= probe.Length - (probe.Length / 10) ? Mode.Zstd
            : Mode.Raw;
    }

    private bool BytesPay(ReadOnlySpan<byte> raw)
    {
        var probe = raw[..Math.Min(raw.Length, ProbeBytes)];
        return TryCompress(_bytes, probe, out _) <= probe.Length - (probe.Length / 10);
    }

    private EncodedChunk EncodeBytes(ReadOnlySpan<byte> raw)
    {
        Grow(ref _output, raw.Length);
        // Kept only when it saves 10%: below that, decoding costs more than the bytes are worth.
        var limit = raw.Length - (raw.Length / 10);
        return _bytes.TryWrap(raw, _output.AsSpan(0, limit), out var written)
            ? new(ChunkEncoding.Zstd, _output.AsSpan(0, written))
            : new(ChunkEncoding.Raw, raw);
    }

    private EncodedChunk EncodeFloats(ReadOnlySpan<byte> raw, int width, KindState state, bool sample, int lead = 0)
    {
        var planes = sample ? (1 << width) - 1 : state.Planes;
        if (planes == 0)
        {
            return new(ChunkEncoding.Raw, raw);
        }

        var values = raw[lead..];
        var count = values.Length / width;
        var tail = values.Length - (count * width);
        var header = PlaneCodec.HeaderSize(width);
        Grow(ref _split, count * width);
        Grow(ref _output, header + raw.Length);
        BytePlanes.Split(values, width, _split);
        var output = _output.AsSpan();
        output[0] = PlaneCodec.Version;
        output[1] = (byte)width;
        output[2] = 0;
        output[3] = (byte)lead;
        raw[..lead].CopyTo(output[header..]);
        values[(count * width)..].CopyTo(output[(header + lead)..]);
        var offset = header + lead + tail;
        var paid = 0;
        for (var k = 0; k < width; k++)
        {
            var plane = _split.AsSpan(k * count, count);
            var codec = PlaneCodec.PlaneRaw;
            var length = count;
            // A plane is kept compressed only when it saves 3%.
            if ((planes & (1 << k)) != 0 && _planes.TryWrap(plane, output.Slice(offset, count - (count / 33)), out var written))
            {
                codec = PlaneCodec.PlaneZstd;
                length = written;
                paid |= 1 << k;
            }
            else
            {
                plane.CopyTo(output[offset..]);
            }

            output[PlaneCodec.FixedHeaderSize + (k * PlaneCodec.PlaneHeaderSize)] = codec;
            BinaryPrimitives.WriteUInt32LittleEndian(output[(PlaneCodec.FixedHeaderSize + (k * PlaneCodec.PlaneHeaderSize) + 1)..], (uint)length);
            offset += length;
        }

        if (sample)
        {
            state.Planes = paid;
        }

        return paid == 0 || offset >= raw.Length - (raw.Length / 100)
            ? new(ChunkEncoding.Raw, raw)
            : new(ChunkEncoding.BytePlanes, output[..offset]);
    }

    /// <summary>The size <paramref name="compressor"/> brings <paramref name="data"/> to, or its own size when it does not shrink it.</summary>
    private int TryCompress(Compressor compressor, ReadOnlySpan<byte> data, out int written)
    {
        Grow(ref _output, data.Length);
        return compressor.TryWrap(data, _output.AsSpan(0, data.Length), out written) ? written : data.Length;
    }

    private static void Grow(ref byte[] buffer, int size)
    {
        if (buffer.Length < size)
        {
            buffer = GC.AllocateUninitializedArray<byte>(Math.Max(size, 256 * 1024 + 1024));
        }
    }

    private enum Mode : byte
    {
        Raw,
        Zstd,
        Planes,
    }

    /// <summary>The verdict of the last sample of one kind in this stream.</summary>
    private sealed class KindState
    {
        public int Seen;
        public Mode Mode;
        public int Planes;

        public void Reset()
        {
            Seen = 0;
            Mode = Mode.Raw;
            Planes = 0;
        }
    }
}
