using System.Buffers.Binary;
using System.Text;

namespace Lmvp.Store.Objects;

/// <summary>Reads the canonical encoding; every malformation becomes a <see cref="CorruptObjectException"/>.</summary>
internal ref struct CanonicalReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _position;

    public CanonicalReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _position = 0;
    }

    public readonly bool AtEnd => _position == _data.Length;

    public readonly int Remaining => _data.Length - _position;

    public void ReadMagic(ReadOnlySpan<byte> magic, byte version) => ReadMagic(magic, version, version);

    /// <summary>Reads the magic and a version between <paramref name="oldest"/> and <paramref name="newest"/>, and returns the version.</summary>
    public byte ReadMagic(ReadOnlySpan<byte> magic, byte oldest, byte newest)
    {
        if (!Take(magic.Length).SequenceEqual(magic))
        {
            throw Fail("wrong magic");
        }

        var v = ReadByte();
        return v >= oldest && v <= newest ? v : throw Fail($"unsupported version {v}");
    }

    public byte ReadByte() => Take(1)[0];

    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1)
            {
                // Bits past the 64th would be dropped, giving a second encoding of a smaller number.
                throw Fail("integer too large");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                // Canonical: no redundant trailing zero groups.
                if (b == 0 && shift > 0)
                {
                    throw Fail("non-canonical integer");
                }

                return result;
            }
        }

        throw Fail("integer too long");
    }

    public int ReadCount(int max)
    {
        var value = ReadVarUInt();
        if (value > (ulong)max)
        {
            throw Fail($"count {value} exceeds the limit of {max}");
        }

        return (int)value;
    }

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long ReadInt64() => (long)ReadUInt64();

    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadUInt64());

    public ObjectId ReadId() => new(Take(ObjectId.Size));

    public string ReadString(int maxBytes)
    {
        var length = ReadCount(maxBytes);
        var bytes = Take(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail("invalid UTF-8 in a string");
        }
    }

    public readonly void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw Fail($"{Remaining} trailing bytes");
        }
    }

    public readonly CorruptObjectException Fail(string reason) => new($"Malformed {_what}: {reason}.");

    /// <summary>Escapes control and line-separator characters, so a hostile name cannot break a one-line message or drive a terminal.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(IsUnprintable))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(IsUnprintable(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return sb.ToString();

        static bool IsUnprintable(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _data.Length - _position < count)
        {
            throw Fail("truncated");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
