using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lmvp.Store.Codecs;

/// <summary>Splits little-endian values into byte planes (plane k holds byte k of every value) and joins them back.</summary>
/// <remarks>With SSSE3, 16 values at a time: one byte shuffle per 16 bytes, then a 4x4 (or 2x8) transpose of 32-bit lanes.</remarks>
internal static class BytePlanes
{
    private static readonly Vector128<byte> Split4Mask = Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    private static readonly Vector128<byte> Split2Mask = Vector128.Create((byte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    private static readonly Vector128<byte> Join2Mask = Vector128.Create((byte)0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);

    /// <summary>Writes the <paramref name="width"/> planes of the <c>count</c> whole values of <paramref name="values"/> to
    /// <paramref name="planes"/>, plane after plane (<c>count</c> bytes each); trailing bytes of a partial value are ignored.</summary>
    public static void Split(ReadOnlySpan<byte> values, int width, Span<byte> planes)
    {
        var count = values.Length / width;
        if (planes.Length < count * width)
        {
            throw new ArgumentException("The planes buffer is too small.", nameof(planes));
        }

        if (width == 4)
        {
            Split4(values, planes[..count], planes.Slice(count, count), planes.Slice(2 * count, count), planes.Slice(3 * count, count));
        }
        else if (width == 2)
        {
            Split2(values, planes[..count], planes.Slice(count, count));
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                for (var k = 0; k < width; k++)
                {
                    planes[(k * count) + i] = values[(i * width) + k];
                }
            }
        }
    }

    /// <summary>Splits the whole 4-byte values of <paramref name="values"/> into four planes, each wherever it is to stay (a raw
    /// plane straight into the stored bytes, one to be compressed into scratch): no copy of the planes afterwards.</summary>
    public static unsafe void Split4(ReadOnlySpan<byte> values, Span<byte> plane0, Span<byte> plane1, Span<byte> plane2, Span<byte> plane3)
    {
        var count = values.Length / 4;
        if (plane0.Length < count || plane1.Length < count || plane2.Length < count || plane3.Length < count)
        {
            throw new ArgumentException("A plane is too small for the values.", nameof(values));
        }

        fixed (byte* src = values)
        fixed (byte* d0 = plane0)
        fixed (byte* d1 = plane1)
        fixed (byte* d2 = plane2)
        fixed (byte* d3 = plane3)
        {
            var i = 0;
            if (Ssse3.IsSupported)
            {
                for (; i + 16 <= count; i += 16)
                {
                    var p = src + (i * 4);
                    var s0 = Ssse3.Shuffle(Sse2.LoadVector128(p), Split4Mask).AsInt32();
                    var s1 = Ssse3.Shuffle(Sse2.LoadVector128(p + 16), Split4Mask).AsInt32();
                    var s2 = Ssse3.Shuffle(Sse2.LoadVector128(p + 32), Split4Mask).AsInt32();
                    var s3 = Ssse3.Shuffle(Sse2.LoadVector128(p + 48), Split4Mask).AsInt32();
                    Transpose(s0, s1, s2, s3, out var r0, out var r1, out var r2, out var r3);
                    Sse2.Store(d0 + i, r0.AsByte());
                    Sse2.Store(d1 + i, r1.AsByte());
                    Sse2.Store(d2 + i, r2.AsByte());
                    Sse2.Store(d3 + i, r3.AsByte());
                }
            }

            for (; i < count; i++)
            {
                d0[i] = src[i * 4];
                d1[i] = src[(i * 4) + 1];
                d2[i] = src[(i * 4) + 2];
                d3[i] = src[(i * 4) + 3];
            }
        }
    }

    /// <summary>Splits the whole 2-byte values of <paramref name="values"/> into two planes, each wherever it is to stay.</summary>
    public static unsafe void Split2(ReadOnlySpan<byte> values, Span<byte> plane0, Span<byte> plane1)
    {
        var count = values.Length / 2;
        if (plane0.Length < count || plane1.Length < count)
        {
            throw new ArgumentException("A plane is too small for the values.", nameof(values));
        }

        fixed (byte* src = values)
        fixed (byte* d0 = plane0)
        fixed (byte* d1 = plane1)
        {
            var i = 0;
            if (Ssse3.IsSupported)
            {
                for (; i + 16 <= count; i += 16)
                {
                    var p = src + (i * 2);
                    var s0 = Ssse3.Shuffle(Sse2.LoadVector128(p), Split2Mask).AsInt64();
                    var s1 = Ssse3.Shuffle(Sse2.LoadVector128(p + 16), Split2Mask).AsInt64();
                    Sse2.Store(d0 + i, Sse2.UnpackLow(s0, s1).AsByte());
                    Sse2.Store(d1 + i, Sse2.UnpackHigh(s0, s1).AsByte());
                }
            }

            for (; i < count; i++)
            {
                d0[i] = src[i * 2];
                d1[i] = src[(i * 2) + 1];
            }
        }
    }

    /// <summary>The inverse of <see cref="Split"/>: interleaves <paramref name="width"/> planes of <c>count</c> bytes into
    /// <c>count</c> values at the start of <paramref name="values"/>.</summary>
    public static void Join(ReadOnlySpan<byte> planes, int width, int count, Span<byte> values)
    {
        if (planes.Length < count * width)
        {
            throw new ArgumentException("The buffers are too small for the values.", nameof(values));
        }

        if (width == 4)
        {
            Join4(planes[..count], planes.Slice(count, count), planes.Slice(2 * count, count), planes.Slice(3 * count, count), values);
        }
        else if (width == 2)
        {
            Join2(planes[..count], planes.Slice(count, count), values);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                for (var k = 0; k < width; k++)
                {
                    values[(i * width) + k] = planes[(k * count) + i];
                }
            }
        }
    }

    /// <summary>Interleaves four planes of equal length, each wherever it lies (a raw plane stays in the stored bytes, a
    /// decompressed one in scratch), into 4-byte values: no copy of the planes first.</summary>
    public static unsafe void Join4(ReadOnlySpan<byte> plane0, ReadOnlySpan<byte> plane1, ReadOnlySpan<byte> plane2, ReadOnlySpan<byte> plane3, Span<byte> values)
    {
        var count = plane0.Length;
        if (plane1.Length != count || plane2.Length != count || plane3.Length != count || values.Length < count * 4)
        {
            throw new ArgumentException("The planes differ in length or the values do not fit.", nameof(values));
        }

        fixed (byte* s0 = plane0)
        fixed (byte* s1 = plane1)
        fixed (byte* s2 = plane2)
        fixed (byte* s3 = plane3)
        fixed (byte* dst = values)
        {
            var i = 0;
            if (Ssse3.IsSupported)
            {
                for (; i + 16 <= count; i += 16)
                {
                    Transpose(Sse2.LoadVector128(s0 + i).AsInt32(), Sse2.LoadVector128(s1 + i).AsInt32(), Sse2.LoadVector128(s2 + i).AsInt32(),
                        Sse2.LoadVector128(s3 + i).AsInt32(), out var r0, out var r1, out var r2, out var r3);
                    var q = dst + (i * 4);
                    Sse2.Store(q, Ssse3.Shuffle(r0.AsByte(), Split4Mask));
                    Sse2.Store(q + 16, Ssse3.Shuffle(r1.AsByte(), Split4Mask));
                    Sse2.Store(q + 32, Ssse3.Shuffle(r2.AsByte(), Split4Mask));
                    Sse2.Store(q + 48, Ssse3.Shuffle(r3.AsByte(), Split4Mask));
                }
            }

            for (; i < count; i++)
            {
                dst[i * 4] = s0[i];
                dst[(i * 4) + 1] = s1[i];
                dst[(i * 4) + 2] = s2[i];
                dst[(i * 4) + 3] = s3[i];
            }
        }
    }

    /// <summary>Interleaves two planes of equal length, each wherever it lies, into 2-byte values.</summary>
    public static unsafe void Join2(ReadOnlySpan<byte> plane0, ReadOnlySpan<byte> plane1, Span<byte> values)
    {
        var count = plane0.Length;
        if (plane1.Length != count || values.Length < count * 2)
        {
            throw new ArgumentException("The planes differ in length or the values do not fit.", nameof(values));
        }

        fixed (byte* s0 = plane0)
        fixed (byte* s1 = plane1)
        fixed (byte* dst = values)
        {
            var i = 0;
            if (Ssse3.IsSupported)
            {
                for (; i + 16 <= count; i += 16)
                {
                    var p0 = Sse2.LoadVector128(s0 + i).AsInt64();
                    var p1 = Sse2.LoadVector128(s1 + i).AsInt64();
                    var q = dst + (i * 2);
                    Sse2.Store(q, Ssse3.Shuffle(Sse2.UnpackLow(p0, p1).AsByte(), Join2Mask));
                    Sse2.Store(q + 16, Ssse3.Shuffle(Sse2.UnpackHigh(p0, p1).AsByte(), Join2Mask));
                }
            }

            for (; i < count; i++)
            {
                dst[i * 2] = s0[i];
                dst[(i * 2) + 1] = s1[i];
            }
        }
    }

    /// <summary>Transposes a 4x4 matrix of 32-bit lanes (rows in, columns out); the same operation undoes itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(Vector128<int> a, Vector128<int> b, Vector128<int> c, Vector128<int> d,
        out Vector128<int> r0, out Vector128<int> r1, out Vector128<int> r2, out Vector128<int> r3)
    {
        var t0 = Sse2.UnpackLow(a, b).AsInt64();
        var t1 = Sse2.UnpackHigh(a, b).AsInt64();
        var t2 = Sse2.UnpackLow(c, d).AsInt64();
        var t3 = Sse2.UnpackHigh(c, d).AsInt64();
        r0 = Sse2.UnpackLow(t0, t2).AsInt32();
        r1 = Sse2.UnpackHigh(t0, t2).AsInt32();
        r2 = Sse2.UnpackLow(t1, t3).AsInt32();
        r3 = Sse2.UnpackHigh(t1, t3).AsInt32();
    }
}
