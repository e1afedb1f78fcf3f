using System.Runtime.InteropServices;

namespace Lmvp.Store.Codecs;

/// <summary>The system's libzstd (libzstd.so.1, which dpkg itself depends on), bound at run time through its exports, or
/// nothing when it does not load: then <see cref="IsLoaded"/> is false and <see cref="ZstdCompressor"/> and
/// <see cref="ZstdDecompressor"/> use ZstdSharp, the managed port of the same code.</summary>
/// <remarks>Bound with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> and function pointers rather than
/// <c>[LibraryImport]</c>: a missing library or symbol is a fallback here, never an exception at the first call, and it works
/// the same under Native AOT. Only the stable API is used (zstd 1.4.0 or later). <c>LMVP_ZSTD=managed</c> in the environment
/// forces the fallback (the tests run both ways).</remarks>
internal static unsafe class NativeZstd
{
    /// <summary>The environment variable that forces ZstdSharp when it is <c>managed</c>.</summary>
    public const string EnvironmentVariable = "LMVP_ZSTD";

    private const uint MinVersion = 10400;

    // Stable parameters of zstd.h (ZSTD_c_compressionLevel, ZSTD_c_hashLog, ZSTD_c_minMatch) and ZSTD_error_dstSize_tooSmall.
    private const int CompressionLevelParameter = 100;
    private const int HashLogParameter = 102;
    private const int MinMatchParameter = 105;
    private const int DestinationTooSmall = 70;

    private static readonly delegate* unmanaged<nint> s_createCCtx;
    private static readonly delegate* unmanaged<nint, nuint> s_freeCCtx;
    private static readonly delegate* unmanaged<nint, int, int, nuint> s_setParameter;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> s_compress2;
    private static readonly delegate* unmanaged<nint> s_createDCtx;
    private static readonly delegate* unmanaged<nint, nuint> s_freeDCtx;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> s_decompressDCtx;
    private static readonly delegate* unmanaged<nuint, uint> s_isError;
    private static readonly delegate* unmanaged<nuint, int> s_getErrorCode;
    private static readonly delegate* unmanaged<nuint, byte*> s_getErrorName;

    static NativeZstd()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "managed", StringComparison.OrdinalIgnoreCase)
            || (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            || !(NativeLibrary.TryLoad(OperatingSystem.IsMacOS() ? "libzstd.1.dylib" : "libzstd.so.1", out var library)))
        {
            return;
        }

        if (!TryGet(library, "ZSTD_versionNumber", out var version) || ((delegate* unmanaged<uint>)version)() < MinVersion
            || !TryGet(library, "ZSTD_createCCtx", out var createCCtx) || !TryGet(library, "ZSTD_freeCCtx", out var freeCCtx)
            || !TryGet(library, "ZSTD_CCtx_setParameter", out var setParameter) || !TryGet(library, "ZSTD_compress2", out var compress2)
            || !TryGet(library, "ZSTD_createDCtx", out var createDCtx) || !TryGet(library, "ZSTD_freeDCtx", out var freeDCtx)
            || !TryGet(library, "ZSTD_decompressDCtx", out var decompressDCtx) || !TryGet(library, "ZSTD_isError", out var isError)
            || !TryGet(library, "ZSTD_getErrorCode", out var getErrorCode) || !TryGet(library, "ZSTD_getErrorName", out var getErrorName))
        {
            return;
        }

        s_createCCtx = (delegate* unmanaged<nint>)createCCtx;
        s_freeCCtx = (delegate* unmanaged<nint, nuint>)freeCCtx;
        s_setParameter = (delegate* unmanaged<nint, int, int, nuint>)setParameter;
        s_compress2 = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)compress2;
        s_createDCtx = (delegate* unmanaged<nint>)createDCtx;
        s_freeDCtx = (delegate* unmanaged<nint, nuint>)freeDCtx;
        s_decompressDCtx = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)decompressDCtx;
        s_isError = (delegate* unmanaged<nuint, uint>)isError;
        s_getErrorCode = (delegate* unmanaged<nuint, int>)getErrorCode;
        s_getErrorName = (delegate* unmanaged<nuint, byte*>)getErrorName;
        IsLoaded = true;
    }

    /// <summary>True when libzstd loaded (and is not disabled by <see cref="EnvironmentVariable"/>).</summary>
    public static bool IsLoaded { get; }

    public static CompressionContext CreateCompressionContext(int level, int hashLog, int minMatch)
    {
        var context = new CompressionContext(s_createCCtx());
        if (context.IsInvalid)
        {
            throw new OutOfMemoryException("libzstd could not create a compression context.");
        }

        Check(s_setParameter(context.DangerousGetHandle(), CompressionLevelParameter, level));
        if (hashLog > 0)
        {
            Check(s_setParameter(context.DangerousGetHandle(), HashLogParameter, hashLog));
        }

        if (minMatch > 0)
        {
            Check(s_setParameter(context.DangerousGetHandle(), MinMatchParameter, minMatch));
        }

        return context;
    }

    public static DecompressionContext CreateDecompressionContext()
    {
        var context = new DecompressionContext(s_createDCtx());
        return context.IsInvalid ? throw new OutOfMemoryException("libzstd could not create a decompression context.") : context;
    }

    /// <summary>One frame of <paramref name="source"/>; false when it does not fit <paramref name="destination"/>.</summary>
    public static bool TryCompress(CompressionContext context, ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = s_compress2(context.DangerousGetHandle(), dst, (nuint)destination.Length, src, (nuint)source.Length);
        }

        GC.KeepAlive(context);
        written = 0;
        if (s_isError(result) != 0)
        {
            return s_getErrorCode(result) == DestinationTooSmall ? false : throw new InvalidOperationException($"zstd: {ErrorName(result)}");
        }

        written = (int)result;
        return true;
    }

    /// <summary>Decompresses every frame of <paramref name="source"/> into <paramref name="destination"/>, never past its end;
    /// null when good, else zstd's reason.</summary>
    public static string? TryDecompress(DecompressionContext context, ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = s_decompressDCtx(context.DangerousGetHandle(), dst, (nuint)destination.Length, src, (nuint)source.Length);
        }

        GC.KeepAlive(context);
        written = 0;
        if (s_isError(result) != 0)
        {
            return ErrorName(result);
        }

        written = (int)result;
        return null;
    }

    private static void Check(nuint result)
    {
        if (s_isError(result) != 0)
        {
            throw new InvalidOperationException($"zstd: {ErrorName(result)}");
        }
    }

    private static string ErrorName(nuint result) => Marshal.PtrToStringUTF8((nint)s_getErrorName(result)) ?? "unknown error";

    private static bool TryGet(nint library, string name, out nint address) => NativeLibrary.TryGetExport(library, name, out address);

    /// <summary>A ZSTD_CCtx, freed when disposed or finalized.</summary>
    public sealed class CompressionContext(nint handle) : SafeHandle(handle, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            s_freeCCtx(handle);
            return true;
        }
    }

    /// <summary>A ZSTD_DCtx, freed when disposed or finalized.</summary>
    public sealed class DecompressionContext(nint handle) : SafeHandle(handle, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            s_freeDCtx(handle);
            return true;
        }
    }
}
