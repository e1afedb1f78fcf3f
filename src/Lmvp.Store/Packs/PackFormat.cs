using System.Buffers.Binary;
using Lmvp.Store.Codecs;

namespace Lmvp.Store.Packs;

/// <summary>How an entry's bytes are stored in a pack (and sent on the wire); the entry's id is always of the raw bytes.</summary>
public enum ChunkEncoding : byte
{
    /// <summary>As they are.</summary>
    Raw = 0,

    /// <summary>One zstd frame.</summary>
    Zstd = 1,

    /// <summary>Floats split into byte planes, each plane zstd-coded or raw (see Lmvp.Store.Codecs' plane format, version 1).</summary>
    BytePlanes = 2,
}

/// <summary>Where one entry sits in a pack and how it is stored.</summary>
/// <param name="Id">BLAKE3 of the raw bytes (for a manifest, the file id).</param>
/// <param name="Kind">What the entry holds.</param>
/// <param name="Encoding">How its bytes are stored.</param>
/// <param name="Offset">The offset of its entry header in the pack.</param>
/// <param name="StoredLength">Bytes stored after the header.</param>
/// <param name="RawLength">Bytes once decoded.</param>
public readonly record struct PackEntry(ObjectId Id, ObjectKind Kind, ChunkEncoding Encoding, long Offset, int StoredLength, int RawLength)
{
    /// <summary>The offset of the stored bytes (just after the entry header).</summary>
    public long DataOffset => Offset + PackFormat.EntryHeaderSize;
}

/// <summary>The pack file layout, shared by the client's packs and lmvp-server's: what is where, and how to read it back.</summary>
/// <remarks>
/// A pack is append-only and self-describing:
/// <code>
/// Header   16 bytes   "LMVPPACK", u32 version (1), u32 reserved (0)
/// Entry*   48 bytes   u8 kind, u8 encoding, u16 reserved, u32 stored length, u32 raw length, u32 reserved, 32-byte id
///          + stored bytes
/// Trailer  52 bytes   per entry: 32-byte id, u8 kind, u8 encoding, u16 reserved, u64 entry offset,
///                     u32 stored length, u32 raw length
/// Footer   56 bytes   u64 trailer offset, u32 entry count, u32 version, 32-byte BLAKE3 of the trailer, "LMVPTRLR"
/// </code>
/// All integers are little-endian. The id is BLAKE3 of the raw (decoded) bytes, so every entry verifies itself; the
/// trailer lets an index be rebuilt without reading entry bodies, and if the trailer is damaged the entries can still be
/// walked one by one from the header. A pack is named pack-&lt;first 32 hex digits of the trailer hash&gt;.pack.
/// </remarks>
public static class PackFormat
{
    /// <summary>Bytes of the pack header.</summary>
    public const int HeaderSize = 16;

    /// <summary>Bytes of each entry's header.</summary>
    public const int EntryHeaderSize = 48;

    /// <summary>Bytes of each trailer entry.</summary>
    public const int TrailerEntrySize = 52;

    /// <summary>Bytes of the footer at the very end.</summary>
    public const int FooterSize = 56;

    /// <summary>The file name extension of packs.</summary>
    public const string Extension = ".pack";

    /// <summary>No single entry may be larger than this: a chunk is at most 256 KiB and metadata is bounded.</summary>
    public const int MaxEntrySize = 64 * 1024 * 1024;

    internal const uint Version = 1;

    /// <summary>The prefix of packs being written (never indexed).</summary>
    internal const string TempPrefix = "tmp-";

    internal static ReadOnlySpan<byte> HeaderMagic => "LMVPPACK"u8;

    internal static ReadOnlySpan<byte> FooterMagic => "LMVPTRLR"u8;

    /// <summary>The pack's name for a trailer hash.</summary>
    internal static string NameFor(ObjectId trailerHash) => "pack-" + trailerHash.ToString()[..32] + Extension;

    /// <summary>Where the trailer of a pack of <paramref name="packLength"/> bytes is, read from its footer.</summary>
    /// <param name="footer">The last <see cref="FooterSize"/> bytes of the pack.</param>
    /// <param name="packLength">The pack's length.</param>
    /// <param name="name">The pack's name, for messages.</param>
    /// <returns>The trailer's offset and length, and the hash it must have.</returns>
    /// <exception cref="CorruptObjectException">The footer is not valid.</exception>
    public static (long Offset, int Length, ObjectId Hash) ReadFooter(ReadOnlySpan<byte> footer, long packLength, string name)
    {
        if (packLength < HeaderSize + FooterSize || footer.Length != FooterSize)
        {
            throw new CorruptObjectException($"Pack {name} is truncated ({packLength} bytes).");
        }

        if (!footer[48..].SequenceEqual(FooterMagic))
        {
            throw new CorruptObjectException($"Pack {name} has no valid footer.");
        }

        var trailerOffset = BinaryPrimitives.ReadInt64LittleEndian(footer);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(footer[8..]);
        if (trailerOffset < HeaderSize || count > MaxEntrySize || trailerOffset + ((long)count * TrailerEntrySize) != packLength - FooterSize)
        {
            throw new CorruptObjectException($"Pack {name} has an inconsistent footer.");
        }

        return (trailerOffset, (int)(count * TrailerEntrySize), new ObjectId(footer.Slice(16, ObjectId.Size)));
    }

    /// <summary>Every entry a verified trailer lists.</summary>
    /// <param name="trailer">The trailer's bytes, as <see cref="ReadFooter"/> located them.</param>
    /// <param name="hash">The hash the footer names.</param>
    /// <param name="trailerOffset">Where the trailer starts (no entry may reach past it).</param>
    /// <param name="name">The pack's name, for messages.</param>
    /// <exception cref="CorruptObjectException">The trailer is damaged.</exception>
    public static IReadOnlyList<PackEntry> ReadTrailer(ReadOnlySpan<byte> trailer, ObjectId hash, long trailerOffset, string name)
    {
        if (trailer.Length % TrailerEntrySize != 0 || ObjectId.Compute(trailer) != hash)
        {
            throw new CorruptObjectException($"Pack {name} has a damaged trailer.");
        }

        var entries = new PackEntry[trailer.Length / TrailerEntrySize];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadTrailerEntry(trailer.Slice(i * TrailerEntrySize, TrailerEntrySize));
            if (entries[i].DataOffset + entries[i].StoredLength > trailerOffset)
            {
                throw new CorruptObjectException($"Pack {name} lists an entry past its end.");
            }
        }

        return entries;
    }

    /// <summary>Decodes an entry's stored bytes into <paramref name="destination"/> (exactly its raw length) and, unless told
    /// otherwise, verifies them against its id.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="stored">Its <see cref="PackEntry.StoredLength"/> stored bytes.</param>
    /// <param name="destination">Exactly <see cref="PackEntry.RawLength"/> bytes.</param>
    /// <param name="verify">False only for callers that verify the bytes another way (a checkout hashes the whole file).</param>
    /// <exception cref="CorruptObjectException">The bytes do not decode, or do not hash to the id.</exception>
    public static void DecodeEntry(in PackEntry entry, ReadOnlySpan<byte> stored, Span<byte> destination, bool verify = true)
    {
        if (DecodeEntry(entry, stored, destination, verify, null) is { } error)
        {
            throw new CorruptObjectException($"{Describe(entry)} {error}.");
        }
    }

    /// <summary>Decodes and verifies; null when good, else what is wrong (for messages that name the entry themselves).</summary>
    internal static string? DecodeEntry(in PackEntry entry, ReadOnlySpan<byte> stored, Span<byte> destination, bool verify, ZstdDecompressor? decompressor)
    {
        if (destination.Length != entry.RawLength || stored.Length != entry.StoredLength)
        {
            throw new ArgumentException("Stored and destination bytes must be exactly the entry's lengths.", nameof(destination));
        }

        if (ChunkDecoder.Decode(entry.Encoding, stored, destination, decompressor) is { } error)
        {
            return error;
        }

        return verify && ObjectId.Compute(destination) != entry.Id ? "is corrupt: its bytes do not hash to its id" : null;
    }

    /// <summary>"chunk 1a2b3c4d5e6f in pack-….pack at offset 123", for messages.</summary>
    internal static string Describe(in PackEntry entry, string? pack = null) =>
        $"{entry.Kind.ToString().ToLowerInvariant()} {entry.Id.ToShortString()}{(pack is null ? "" : " in " + pack)} at offset {entry.Offset}";

    internal static void WriteHeader(Span<byte> destination)
    {
        HeaderMagic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }

    internal static void WriteEntryHeader(Span<byte> destination, ObjectKind kind, ChunkEncoding encoding, int storedLength, int rawLength, ObjectId id)
    {
        destination[0] = (byte)kind;
        destination[1] = (byte)encoding;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)storedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)rawLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        id.CopyTo(destination[16..]);
    }

    internal static PackEntry ReadEntryHeader(ReadOnlySpan<byte> source, long offset)
    {
        var kind = (ObjectKind)source[0];
        var encoding = (ChunkEncoding)source[1];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        var raw = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (!Enum.IsDefined(kind) || !Enum.IsDefined(encoding) || stored > MaxEntrySize || raw > MaxEntrySize)
        {
            throw new CorruptObjectException($"Malformed pack entry header at offset {offset}.");
        }

        return new PackEntry(new ObjectId(source.Slice(16, ObjectId.Size)), kind, encoding, offset, (int)stored, (int)raw);
    }

    internal static void WriteTrailerEntry(Span<byte> destination, PackEntry entry)
    {
        entry.Id.CopyTo(destination);
        destination[32] = (byte)entry.Kind;
        destination[33] = (byte)entry.Encoding;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[34..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[36..], entry.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[44..], (uint)entry.StoredLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[48..], (uint)entry.RawLength);
    }

    internal static PackEntry ReadTrailerEntry(ReadOnlySpan<byte> source)
    {
        var kind = (ObjectKind)source[32];
        var encoding = (ChunkEncoding)source[33];
        var offset = BinaryPrimitives.ReadInt64LittleEndian(source[36..]);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[44..]);
        var raw = BinaryPrimitives.ReadUInt32LittleEndian(source[48..]);
        if (!Enum.IsDefined(kind) || !Enum.IsDefined(encoding) || offset < HeaderSize || stored > MaxEntrySize || raw > MaxEntrySize)
        {
            throw new CorruptObjectException("Malformed pack trailer entry.");
        }

        return new PackEntry(new ObjectId(source[..ObjectId.Size]), kind, encoding, offset, (int)stored, (int)raw);
    }
}
