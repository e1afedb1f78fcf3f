using System.Buffers.Binary;

namespace Lmvp.Store.Packs;

/// <summary>What a pack entry holds.</summary>
internal enum EntryKind : byte
{
    /// <summary>Chunk bytes of a file.</summary>
    Chunk = 1,

    /// <summary>An encoded tree.</summary>
    Tree = 2,

    /// <summary>An encoded commit.</summary>
    Commit = 3,

    /// <summary>An encoded file manifest (keyed by the file id).</summary>
    Manifest = 4,
}

/// <summary>How an entry's bytes are stored.</summary>
internal enum Compression : byte
{
    /// <summary>As they are.</summary>
    None = 0,

    /// <summary>One zstd frame.</summary>
    Zstd = 1,
}

/// <summary>The pack file layout and the code that reads and writes its fixed-size parts.</summary>
/// <remarks>
/// A pack is append-only and self-describing:
/// <code>
/// Header   16 bytes   "LMVPPACK", u32 version (1), u32 reserved (0)
/// Entry*   48 bytes   u8 kind, u8 compression, u16 reserved, u32 stored length, u32 raw length, u32 reserved, 32-byte id
///          + stored bytes
/// Trailer  52 bytes   per entry: 32-byte id, u8 kind, u8 compression, u16 reserved, u64 entry offset,
///                     u32 stored length, u32 raw length
/// Footer   56 bytes   u64 trailer offset, u32 entry count, u32 version, 32-byte BLAKE3 of the trailer, "LMVPTRLR"
/// </code>
/// All integers are little-endian. The id is BLAKE3 of the raw (uncompressed) bytes, so every entry verifies
/// itself; the trailer lets the index be rebuilt without reading entry bodies, and if the trailer is damaged the
/// entries can still be walked one by one from the header.
/// A pack is written under a temporary name and renamed to pack-&lt;first 32 hex digits of the trailer hash&gt;.pack
/// only after its footer is flushed to disk, so a pack with its final name is always complete.
/// </remarks>
internal static class PackFormat
{
    public const int HeaderSize = 16;
    public const int EntryHeaderSize = 48;
    public const int TrailerEntrySize = 52;
    public const int FooterSize = 56;
    public const uint Version = 1;
    public const string Extension = ".pack";
    public const string TempPrefix = "tmp-";

    /// <summary>No single entry may be larger than this: a chunk is at most 256 KiB and metadata is bounded.</summary>
    public const int MaxEntrySize = 64 * 1024 * 1024;

    public static ReadOnlySpan<byte> HeaderMagic => "LMVPPACK"u8;
    public static ReadOnlySpan<byte> FooterMagic => "LMVPTRLR"u8;

    public static void WriteHeader(Span<byte> destination)
    {
        HeaderMagic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }

    public static void WriteEntryHeader(Span<byte> destination, EntryKind kind, Compression compression, int storedLength, int rawLength, ObjectId id)
    {
        destination[0] = (byte)kind;
        destination[1] = (byte)compression;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)storedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)rawLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        id.CopyTo(destination[16..]);
    }

    public static PackEntry ReadEntryHeader(ReadOnlySpan<byte> source, long offset)
    {
        var kind = (EntryKind)source[0];
        var compression = (Compression)source[1];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        var raw = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (!Enum.IsDefined(kind) || !Enum.IsDefined(compression) || stored > MaxEntrySize || raw > MaxEntrySize)
        {
            throw new CorruptObjectException($"Malformed pack entry header at offset {offset}.");
        }

        return new PackEntry(new ObjectId(source.Slice(16, ObjectId.Size)), kind, compression, offset, (int)stored, (int)raw);
    }

    public static void WriteTrailerEntry(Span<byte> destination, PackEntry entry)
    {
        entry.Id.CopyTo(destination);
        destination[32] = (byte)entry.Kind;
        destination[33] = (byte)entry.Compression;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[34..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[36..], entry.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[44..], (uint)entry.StoredLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[48..], (uint)entry.RawLength);
    }

    public static PackEntry ReadTrailerEntry(ReadOnlySpan<byte> source)
    {
        var kind = (EntryKind)source[32];
        var compression = (Compression)source[33];
        var offset = BinaryPrimitives.ReadInt64LittleEndian(source[36..]);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[44..]);
        var raw = BinaryPrimitives.ReadUInt32LittleEndian(source[48..]);
        if (!Enum.IsDefined(kind) || !Enum.IsDefined(compression) || offset < HeaderSize || stored > MaxEntrySize || raw > MaxEntrySize)
        {
            throw new CorruptObjectException("Malformed pack trailer entry.");
        }

        return new PackEntry(new ObjectId(source[..ObjectId.Size]), kind, compression, offset, (int)stored, (int)raw);
    }
}

/// <summary>Where one entry sits in a pack and how it is stored.</summary>
internal readonly record struct PackEntry(ObjectId Id, EntryKind Kind, Compression Compression, long Offset, int StoredLength, int RawLength)
{
    /// <summary>The offset of the stored bytes (just after the entry header).</summary>
    public long DataOffset => Offset + PackFormat.EntryHeaderSize;
}
