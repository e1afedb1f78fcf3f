using System.Buffers.Binary;
using System.Numerics;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Codecs;

/// <summary>How one chunk is to be encoded: decided in stream order by <see cref="ChunkEncoder"/>, applied anywhere.</summary>
/// <param name="Mode">Raw, one zstd frame, or byte planes.</param>
/// <param name="Width">Bytes per value (byte planes).</param>
/// <param name="Lead">Bytes before the first whole value (byte planes).</param>
/// <param name="Planes">Which planes to try zstd on (bit k: plane k).</param>
/// <param name="Sample">True when this chunk's result teaches the encoder which planes pay (apply it before planning the next).</param>
/// <param name="Kind">What the chunk holds.</param>
internal readonly record struct EncodePlan(ChunkEncoding Mode, int Width, int Lead, int Planes, bool Sample, ElementKind Kind)
{
    public static EncodePlan Raw => new(ChunkEncoding.Raw, 0, 0, 0, false, ElementKind.Unknown);
}

/// <summary>The zstd contexts and buffers one thread encodes chunks with; applies <see cref="EncodePlan"/>s without other state.</summary>
internal sealed class EncoderScratch : IDisposable
{
    public const int ProbeBytes = 8192;

    private readonly ZstdCompressor _bytes;
    private readonly ZstdCompressor _planes;
    private byte[] _output = [];
    private byte[] _split = [];

    /// <summary>Contexts through libzstd when it loads, else (or with <paramref name="nativeZstd"/> false) ZstdSharp.</summary>
    public EncoderScratch(bool nativeZstd = true)
    {
        _bytes = new ZstdCompressor(1, native: nativeZstd);
        // Planes get almost no matching (hash log 6, minimum match 7): on exponent bytes short matches cost more than the
        // literals they replace, so what remains is zstd's entropy stage.
        _planes = new ZstdCompressor(1, hashLog: 6, minMatch: 7, native: nativeZstd);
    }

    /// <summary>Encodes <paramref name="raw"/> as planned; the result's bytes live in this scratch (or are <paramref name="raw"/>)
    /// until its next use. <paramref name="paid"/> says which planes zstd shrank.</summary>
    public EncodedChunk Apply(EncodePlan plan, ReadOnlySpan<byte> raw, out int paid)
    {
        if (plan.Mode != ChunkEncoding.Raw)
        {
            Grow(ref _output, PlaneCodec.HeaderSize(4) + raw.Length);
        }

        return ApplyInto(plan, raw, _output, out paid);
    }

    /// <summary>Encodes <paramref name="raw"/> as planned into <paramref name="output"/> (at least <see cref="OutputSize"/> bytes),
    /// so a caller that keeps the result saves copying it; the result is <paramref name="raw"/> itself when it stays raw.</summary>
    public EncodedChunk ApplyInto(EncodePlan plan, ReadOnlySpan<byte> raw, Span<byte> output, out int paid)
    {
        paid = 0;
        return plan.Mode switch
        {
            ChunkEncoding.Zstd => EncodeBytes(raw, output),
            ChunkEncoding.BytePlanes => EncodeFloats(raw, plan.Width, plan.Planes, plan.Lead, output, out paid),
            _ => new(ChunkEncoding.Raw, raw),
        };
    }

    /// <summary>The room an encoding of <paramref name="rawLength"/> bytes may take while it is made.</summary>
    public static int OutputSize(int rawLength) => PlaneCodec.HeaderSize(4) + rawLength;

    /// <summary>Whether plain zstd saves 10% on the first 8 KiB.</summary>
    public bool BytesPay(ReadOnlySpan<byte> raw)
    {
        var probe = raw[..Math.Min(raw.Length, ProbeBytes)];
        return TryCompress(_bytes, probe) <= probe.Length - (probe.Length / 10);
    }

    /// <summary>Tries the first 8 KiB (from <paramref name="lead"/>) as plain zstd and as 4-byte planes: the mode that pays and the
    /// planes that shrink.</summary>
    public (ChunkEncoding Mode, int Planes) Probe(ReadOnlySpan<byte> raw, int lead)
    {
        var probe = raw[lead..][..(Math.Min(raw.Length - lead, ProbeBytes) & ~3)];
        var count = probe.Length / 4;
        Grow(ref _split, probe.Length);
        BytePlanes.Split(probe, 4, _split);
        var planes = 0;
        long planesTotal = 0;
        for (var k = 0; k < 4; k++)
        {
            var stored = TryCompress(_planes, _split.AsSpan(k * count, count));
            if (stored < count - (count / 33))
            {
                planes |= 1 << k;
            }

            planesTotal += stored;
        }

        var bytesTotal = TryCompress(_bytes, probe);
        var mode = planesTotal <= bytesTotal && planesTotal < probe.Length - (probe.Length / 33) ? ChunkEncoding.BytePlanes
            : bytesTotal <= probe.Length - (probe.Length / 10) ? ChunkEncoding.Zstd
            : ChunkEncoding.Raw;
        return (mode, planes);
    }

    public void Dispose()
    {
        _bytes.Dispose();
        _planes.Dispose();
    }

    private EncodedChunk EncodeBytes(ReadOnlySpan<byte> raw, Span<byte> output)
    {
        // Kept only when it saves 10%: below that, decoding costs more than the bytes are worth.
        var limit = raw.Length - (raw.Length / 10);
        return _bytes.TryCompress(raw, output[..limit], out var written)
            ? new(ChunkEncoding.Zstd, output[..written])
            : new(ChunkEncoding.Raw, raw);
    }

    private EncodedChunk EncodeFloats(ReadOnlySpan<byte> raw, int width, int planes, int lead, Span<byte> output, out int paid)
    {
        paid = 0;
        if (planes == 0)
        {
            return new(ChunkEncoding.Raw, raw);
        }

        var values = raw[lead..];
        var count = values.Length / width;
        var tail = values.Length - (count * width);
        var header = PlaneCodec.HeaderSize(width);
        output[0] = PlaneCodec.Version;
        output[1] = (byte)width;
        output[2] = 0;
        output[3] = (byte)lead;
        raw[..lead].CopyTo(output[header..]);
        values[(count * width)..].CopyTo(output[(header + lead)..]);
        var start = header + lead + tail;

        // The planes before the first one zstd tries keep their place in the stored bytes whatever follows them, so they are
        // split straight there (for fp32 the three mantissa planes); the rest go to scratch first.
        var direct = BitOperations.TrailingZeroCount(planes);
        Grow(ref _split, count * width);
        if (width == 4)
        {
            BytePlanes.Split4(values, PlaneTarget(output, 0, direct, start, count), PlaneTarget(output, 1, direct, start, count),
                PlaneTarget(output, 2, direct, start, count), PlaneTarget(output, 3, direct, start, count));
        }
        else
        {
            BytePlanes.Split2(values, PlaneTarget(output, 0, direct, start, count), PlaneTarget(output, 1, direct, start, count));
        }

        var offset = start;
        for (var k = 0; k < width; k++)
        {
            var codec = PlaneCodec.PlaneRaw;
            var length = count;
            if (k >= direct)
            {
                var plane = _split.AsSpan(k * count, count);
                // A plane is kept compressed only when it saves 3%.
                if ((planes & (1 << k)) != 0 && _planes.TryCompress(plane, output.Slice(offset, count - (count / 33)), out var written))
                {
                    codec = PlaneCodec.PlaneZstd;
                    length = written;
                    paid |= 1 << k;
                }
                else
                {
                    plane.CopyTo(output[offset..]);
                }
            }

            output[PlaneCodec.FixedHeaderSize + (k * PlaneCodec.PlaneHeaderSize)] = codec;
            BinaryPrimitives.WriteUInt32LittleEndian(output[(PlaneCodec.FixedHeaderSize + (k * PlaneCodec.PlaneHeaderSize) + 1)..], (uint)length);
            offset += length;
        }

        return paid == 0 || offset >= raw.Length - (raw.Length / 100)
            ? new(ChunkEncoding.Raw, raw)
            : new(ChunkEncoding.BytePlanes, output[..offset]);
    }

    /// <summary>Where plane <paramref name="k"/> is split to: its place in <paramref name="output"/> when it comes before the first
    /// plane zstd tries (<paramref name="direct"/>), else its place in scratch.</summary>
    private Span<byte> PlaneTarget(Span<byte> output, int k, int direct, int start, int count) =>
        k < direct ? output.Slice(start + (k * count), count) : _split.AsSpan(k * count, count);

    /// <summary>The size <paramref name="compressor"/> brings <paramref name="data"/> to, or its own size when it does not shrink it.</summary>
    private int TryCompress(ZstdCompressor compressor, ReadOnlySpan<byte> data)
    {
        Grow(ref _output, data.Length);
        return compressor.TryCompress(data, _output.AsSpan(0, data.Length), out var written) ? written : data.Length;
    }

    private static void Grow(ref byte[] buffer, int size)
    {
        if (buffer.Length < size)
        {
            buffer = GC.AllocateUninitializedArray<byte>(Math.Max(size, 256 * 1024 + 1024));
        }
    }
}
