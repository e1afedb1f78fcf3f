using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Lmvp.Store;

/// <summary>A BLAKE3-256 content address: 32 raw bytes, shown as 64 lowercase hex digits.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct ObjectId : IEquatable<ObjectId>, IComparable<ObjectId>
{
    /// <summary>The number of raw bytes in an id.</summary>
    public const int Size = 32;

    /// <summary>The number of hex digits in a full id.</summary>
    public const int HexLength = Size * 2;

    /// <summary>The number of hex digits in the short form people see.</summary>
    public const int ShortHexLength = 12;

    // Four big-endian words keep equality and ordering cheap and match the byte order of the hex form.
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Creates an id from exactly 32 raw bytes.</summary>
    public ObjectId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"An object id is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero id, used where no object is meant.</summary>
    public static ObjectId Zero => default;

    /// <summary>True for the all-zero id.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>Hashes <paramref name="data"/> with BLAKE3 and returns its id.</summary>
    public static ObjectId Compute(ReadOnlySpan<byte> data)
    {
        var hash = Blake3.Hasher.Hash(data);
        return new ObjectId(hash.AsSpan());
    }

    /// <summary>Parses 64 hex digits; throws <see cref="FormatException"/> otherwise.</summary>
    public static ObjectId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out var id) ? id : throw new FormatException($"'{hex}' is not a 64-digit hex object id.");
    }

    /// <summary>Parses 64 hex digits, returning false on anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? hex, out ObjectId id)
    {
        id = default;
        if (hex is null || hex.Length != HexLength)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new ObjectId(bytes);
        return true;
    }

    /// <summary>Writes the 32 raw bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>Returns the 32 raw bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The full 64-digit lowercase hex form.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The first <see cref="ShortHexLength"/> hex digits.</summary>
    public string ToShortString() => ToString()[..ShortHexLength];

    /// <summary>True when the hex form starts with <paramref name="hexPrefix"/> (case-insensitive).</summary>
    public bool StartsWith(string hexPrefix) => ToString().StartsWith(hexPrefix, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public bool Equals(ObjectId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ObjectId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_d ^ (int)(_d >> 32);

    /// <inheritdoc />
    public int CompareTo(ObjectId other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Equality of ids.</summary>
    public static bool operator ==(ObjectId left, ObjectId right) => left.Equals(right);

    /// <summary>Inequality of ids.</summary>
    public static bool operator !=(ObjectId left, ObjectId right) => !left.Equals(right);

    /// <summary>Ordering of ids by their bytes.</summary>
    public static bool operator <(ObjectId left, ObjectId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering of ids by their bytes.</summary>
    public static bool operator >(ObjectId left, ObjectId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering of ids by their bytes.</summary>
    public static bool operator <=(ObjectId left, ObjectId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering of ids by their bytes.</summary>
    public static bool operator >=(ObjectId left, ObjectId right) => left.CompareTo(right) >= 0;
}
