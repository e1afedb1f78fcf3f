using System.Buffers.Binary;
using System.Text;

namespace Lmvp.Store.Formats;

/// <summary>Reads little-endian fields from header bytes held in memory; every read past the end is a <see cref="LayoutException"/>.</summary>
/// <remarks>When the bytes are only a prefix of the header (<paramref name="isPrefix"/>), running past their end is a
/// <see cref="PrefixTooShortException"/> instead: the caller reads a longer prefix and parses again.</remarks>
internal ref struct HeaderReader(ReadOnlySpan<byte> data, bool isPrefix = false)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; set; }

    public readonly int Remaining => _data.Length - Position;

    public ReadOnlySpan<byte> Take(long count)
    {
        if (count > Remaining && count >= 0 && isPrefix)
        {
            throw new PrefixTooShortException();
        }

        if (count < 0 || count > Remaining)
        {
            throw new LayoutException($"a field at {Position} runs past the end of the header.");
        }

        var span = _data.Slice(Position, (int)count);
        Position += (int)count;
        return span;
    }

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>A count or size that must fit in what remains of the header when each item takes at least <paramref name="minItemSize"/> bytes.</summary>
    public long Count(ulong value, int minItemSize)
    {
        if (value > (ulong)Remaining / (ulong)Math.Max(minItemSize, 1) && !isPrefix)
        {
            throw new LayoutException($"a count of {value} at {Position} is more than the header can hold.");
        }

        return (long)value;
    }

    /// <summary>Strict UTF-8 text.</summary>
    public static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new LayoutException("a name is not valid UTF-8.");
        }
    }
}

/// <summary>A header runs past the prefix read so far.</summary>
internal sealed class PrefixTooShortException() : Exception("The header runs past the bytes read so far.");
