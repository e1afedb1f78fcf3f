using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Lmvp.Store.Codecs;

/// <summary>Compresses whole zstd frames with one context: the system's libzstd when it loads (<see cref="NativeZstd"/>), else
/// ZstdSharp. Either writes standard frames, so what one writes the other reads. Not thread-safe: one per thread.</summary>
internal sealed class ZstdCompressor : IDisposable
{
    private readonly NativeZstd.CompressionContext? _native;
    private readonly Compressor? _managed;

    /// <summary>A context at <paramref name="level"/>; a positive <paramref name="hashLog"/> or <paramref name="minMatch"/> overrides
    /// the level's; <paramref name="native"/> false uses ZstdSharp even when libzstd loads (tests compare the two).</summary>
    public ZstdCompressor(int level, int hashLog = 0, int minMatch = 0, bool native = true)
    {
        if (native && NativeZstd.IsLoaded)
        {
            _native = NativeZstd.CreateCompressionContext(level, hashLog, minMatch);
            return;
        }

        _managed = new Compressor(level);
        if (hashLog > 0)
        {
            _managed.SetParameter(ZSTD_cParameter.ZSTD_c_hashLog, hashLog);
        }

        if (minMatch > 0)
        {
            _managed.SetParameter(ZSTD_cParameter.ZSTD_c_minMatch, minMatch);
        }
    }

    /// <summary>True when this context is libzstd's.</summary>
    public bool IsNative => _native is not null;

    /// <summary>The largest frame <paramref name="length"/> bytes can take.</summary>
    public static int CompressBound(int length) => Compressor.GetCompressBound(length);

    /// <summary>One frame of <paramref name="source"/> in <paramref name="destination"/>; false when it does not fit.</summary>
    public bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written) =>
        _native is not null ? NativeZstd.TryCompress(_native, source, destination, out written) : _managed!.TryWrap(source, destination, out written);

    /// <summary>One frame of <paramref name="source"/>, as a new array.</summary>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(CompressBound(source.Length));
        TryCompress(source, buffer, out var written);
        return buffer.AsSpan(0, written).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _native?.Dispose();
        _managed?.Dispose();
    }
}
