using Lmvp.Store.Packs;

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
    private const int MinEncodedSize = 512;

    private readonly EncoderScratch _scratch;
    private readonly KindState[] _states = [new(), new(), new(), new(), new()];
    private bool _disposed;

    /// <summary>An encoder whose zstd is the system's libzstd when it loads, else ZstdSharp.</summary>
    public ChunkEncoder()
        : this(nativeZstd: true)
    {
    }

    /// <summary>An encoder; <paramref name="nativeZstd"/> false uses ZstdSharp even when libzstd loads (tests compare the two).</summary>
    internal ChunkEncoder(bool nativeZstd)
    {
        _scratch = new EncoderScratch(nativeZstd);
    }

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
        var plan = Plan(raw, kind);
        var encoded = _scratch.Apply(plan, raw, out var paid);
        Learn(plan, paid);
        return encoded;
    }

    /// <summary>Decides, in stream order, how <paramref name="raw"/> is encoded; trials of samples of opaque and unknown content run
    /// here. A plan marked <see cref="EncodePlan.Sample"/> must be applied (and <see cref="Learn"/>ed) before the next is made;
    /// the others may be applied on any thread, in any order.</summary>
    internal EncodePlan Plan(ReadOnlySpan<byte> raw, ElementKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (raw.Length < MinEncodedSize || raw.Length > PackFormat.MaxEntrySize)
        {
            return EncodePlan.Raw;
        }

        var state = _states[(int)kind < _states.Length ? (int)kind : 0];
        var sample = state.Seen++ % SampleEvery == 0;
        switch (kind)
        {
            case ElementKind.Float32:
            case ElementKind.Float16:
            case ElementKind.BFloat16:
                var width = kind == ElementKind.Float32 ? 4 : 2;
                return new EncodePlan(ChunkEncoding.BytePlanes, width, 0, sample ? (1 << width) - 1 : state.Planes, sample, kind);
            case ElementKind.Opaque:
                if (sample)
                {
                    state.Mode = _scratch.BytesPay(raw) ? ChunkEncoding.Zstd : ChunkEncoding.Raw;
                }

                return new EncodePlan(state.Mode, 0, 0, 0, false, kind);
            default:
                var lead = ExponentLead(raw);
                if (sample)
                {
                    (state.Mode, state.Planes) = _scratch.Probe(raw, lead);
                }

                return new EncodePlan(state.Mode, 4, lead, state.Planes, false, kind);
        }
    }

    /// <summary>Applies a plan with this encoder's own buffers, learning from it when it is a sample.</summary>
    internal EncodedChunk Apply(EncodePlan plan, ReadOnlySpan<byte> raw)
    {
        var encoded = _scratch.Apply(plan, raw, out var paid);
        Learn(plan, paid);
        return encoded;
    }

    /// <summary>Takes in which planes paid on a sample of floats: the chunks after it try only those.</summary>
    internal void Learn(in EncodePlan plan, int paidPlanes)
    {
        if (plan.Sample)
        {
            _states[(int)plan.Kind].Planes = paidPlanes;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _scratch.Dispose();
        }
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

    /// <summary>The verdict of the last sample of one kind in this stream.</summary>
    private sealed class KindState
    {
        public int Seen;
        public ChunkEncoding Mode;
        public int Planes;

        public void Reset()
        {
            Seen = 0;
            Mode = ChunkEncoding.Raw;
            Planes = 0;
        }
    }
}
