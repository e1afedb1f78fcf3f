using ZstdSharp;

namespace Lmvp.Store.Codecs;

/// <summary>Decompresses zstd frames with one context: the system's libzstd when it loads (<see cref="NativeZstd"/>), else
/// ZstdSharp. Never writes past the destination, so a frame that expands further is refused, not followed. Not thread-safe.</summary>
internal sealed class ZstdDecompressor : IDisposable
{
    private readonly NativeZstd.DecompressionContext? _native;
    private readonly Decompressor? _managed;

    /// <summary>A context; <paramref name="native"/> false uses ZstdSharp even when libzstd loads (tests compare the two).</summary>
    public ZstdDecompressor(bool native = true)
    {
        if (native && NativeZstd.IsLoaded)
        {
            _native = NativeZstd.CreateDecompressionContext();
        }
        else
        {
            _managed = new Decompressor();
        }
    }

    /// <summary>True when this context is libzstd's.</summary>
    public bool IsNative => _native is not null;

    /// <summary>Decompresses <paramref name="source"/> into <paramref name="destination"/>; null when good, else zstd's reason.</summary>
    public string? TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        if (_native is not null)
        {
            return NativeZstd.TryDecompress(_native, source, destination, out written);
        }

        try
        {
            written = _managed!.Unwrap(source, destination);
            return null;
        }
        catch (ZstdException e)
        {
            written = 0;
            return e.Message.TrimEnd('.');
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _native?.Dispose();
        _managed?.Dispose();
    }
}
