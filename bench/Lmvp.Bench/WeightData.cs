using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Bench;

/// <summary>Deterministic float32 "trained weights": normally distributed values (sigma 0.02), incompressible like real ones.</summary>
/// <remarks>
/// Box-Muller per value would make generation slower than the code under test, so each float is a quantile of the
/// normal distribution picked by 16 random bits, with 15 more random bits xored into the low mantissa bits: the
/// values follow the normal curve, almost never repeat, and zstd finds nothing to squeeze, as with real weights.
/// Content depends only on (seed, offset within the region), so runs are reproducible.
/// </remarks>
internal static class WeightData
{
    /// <summary>Regions are generated in blocks of this size, one block per task.</summary>
    public const int BlockSize = 4 * 1024 * 1024;

    private const double Sigma = 0.02;
    private static readonly int[] QuantileBits = BuildQuantiles();

    /// <summary>Fills <paramref name="destination"/> with weights from one random stream.</summary>
    public static void Fill(Span<byte> destination, ulong seed)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination);
        var state = seed;
        var table = QuantileBits;
        for (var i = 0; i < words.Length; i++)
        {
            var r = Next(ref state);
            var lo = (uint)r;
            var hi = (uint)(r >> 32);
            var a = (uint)table[lo & 0xFFFF] ^ ((lo >> 16) & 0x7FFF);
            var b = (uint)table[hi & 0xFFFF] ^ ((hi >> 16) & 0x7FFF);
            words[i] = a | ((ulong)b << 32);
        }

        var tail = destination[(words.Length * sizeof(ulong))..];
        if (tail.Length > 0)
        {
            Span<byte> last = stackalloc byte[sizeof(ulong)];
            MemoryMarshal.Write(last, Next(ref state));
            last[..tail.Length].CopyTo(tail);
        }
    }

    /// <summary>Fills a large in-memory buffer using every core.</summary>
    public static void FillParallel(byte[] buffer, ulong seed)
    {
        var blocks = (buffer.Length + BlockSize - 1) / BlockSize;
        Parallel.For(0, blocks, block =>
        {
            var start = block * BlockSize;
            Fill(buffer.AsSpan(start, Math.Min(BlockSize, buffer.Length - start)), BlockSeed(seed, block));
        });
    }

    /// <summary>Creates (or truncates) a file of <paramref name="length"/> bytes of weights.</summary>
    public static void WriteFile(string path, long length, ulong seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        RandomAccess.SetLength(handle, length);
        WriteRegion(handle, 0, length, seed);
    }

    /// <summary>Overwrites <paramref name="length"/> bytes at <paramref name="offset"/> with weights, using every core.</summary>
    public static void WriteRegion(SafeFileHandle handle, long offset, long length, ulong seed)
    {
        var blocks = (length + BlockSize - 1) / BlockSize;
        Parallel.For(0L, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, block =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
            try
            {
                var start = block * BlockSize;
                var count = (int)Math.Min(BlockSize, length - start);
                Fill(buffer.AsSpan(0, count), BlockSeed(seed, block));
                RandomAccess.Write(handle, buffer.AsSpan(0, count), offset + start);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
    }

    /// <summary>A seed for one block of a region, so blocks can be generated in any order on any thread.</summary>
    public static ulong BlockSeed(ulong seed, long block)
    {
        var state = seed ^ ((ulong)block * 0x9E3779B97F4A7C15);
        return Next(ref state);
    }

    /// <summary>wyrand: a tiny, fast generator of good quality.</summary>
    private static ulong Next(ref ulong state)
    {
        state += 0xA0761D6478BD642F;
        var product = (UInt128)state * (state ^ 0xE7037ED1A0B428DB);
        return (ulong)(product >> 64) ^ (ulong)product;
    }

    private static int[] BuildQuantiles()
    {
        var table = new int[65536];
        for (var i = 0; i < table.Length; i++)
        {
            var p = (i + 0.5) / table.Length;
            table[i] = BitConverter.SingleToInt32Bits((float)(Sigma * InverseNormal(p)));
        }

        return table;
    }

    /// <summary>Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9).</summary>
    private static double InverseNormal(double p)
    {
        ReadOnlySpan<double> a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        ReadOnlySpan<double> b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        ReadOnlySpan<double> c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        ReadOnlySpan<double> d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }

        var s = p - 0.5;
        var r = s * s;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * s / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
