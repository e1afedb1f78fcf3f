using Lmvp.Store.Objects;

namespace Lmvp.Store;

/// <summary>The ordered chunks of one file, stored under the file id.</summary>
/// <remarks>
/// A manifest is addressed by the file id (BLAKE3 of the whole content) rather than by the hash of its own bytes:
/// a tree names the file id, and a manifest is fully verified by hashing the chunks it lists back to that id,
/// which is stronger than a hash of the list itself. Its encoding is still canonical (decode then re-encode
/// gives the same bytes).
/// </remarks>
public sealed class FileManifest
{
    /// <summary>The longest chunk a manifest may list.</summary>
    public const int MaxChunkLength = 64 * 1024 * 1024;

    private static ReadOnlySpan<byte> Magic => "LMAN"u8;
    private const byte Version = 1;
    private const int EntrySize = ObjectId.Size + 4;

    /// <summary>Creates a manifest; every chunk must be 1 byte to <see cref="MaxChunkLength"/> long and the lengths must add up to <paramref name="size"/>.</summary>
    public FileManifest(ObjectId fileId, long size, IReadOnlyList<ChunkRef> chunks)
    {
        FileId = fileId;
        Size = Check(size, chunks);
        Chunks = chunks;
    }

    /// <summary>The file id: BLAKE3 of the whole content.</summary>
    public ObjectId FileId { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Size { get; }

    /// <summary>The chunks in file order.</summary>
    public IReadOnlyList<ChunkRef> Chunks { get; }

    /// <summary>The canonical encoding, as packs and the wire carry it.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter();
        writer.WriteMagic(Magic, Version);
        writer.WriteId(FileId);
        writer.WriteUInt64((ulong)Size);
        writer.WriteVarUInt((ulong)Chunks.Count);
        foreach (var c in Chunks)
        {
            writer.WriteId(c.Id);
            writer.WriteUInt32((uint)c.Length);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes the manifest stored under <paramref name="expectedFileId"/>; malformed bytes throw <see cref="CorruptObjectException"/>.</summary>
    /// <remarks>This checks the encoding only: that the chunks hash back to the file id is checked when they are read.</remarks>
    public static FileManifest Decode(ReadOnlySpan<byte> data, ObjectId expectedFileId)
    {
        var reader = new CanonicalReader(data, $"manifest of file {expectedFileId.ToShortString()}");
        reader.ReadMagic(Magic, Version);
        var fileId = reader.ReadId();
        if (fileId != expectedFileId)
        {
            throw reader.Fail($"it names file {fileId.ToShortString()}");
        }

        var size = reader.ReadUInt64();
        var count = reader.ReadCount(reader.Remaining / EntrySize);
        var chunks = new ChunkRef[count];
        ulong total = 0;
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadId();
            var length = reader.ReadUInt32();
            if (length == 0 || length > MaxChunkLength)
            {
                throw reader.Fail("bad chunk length");
            }

            total += length;
            chunks[i] = new ChunkRef(id, (int)length);
        }

        reader.ExpectEnd();
        if (total != size)
        {
            throw reader.Fail($"chunk lengths add up to {total}, not {size}");
        }

        return new FileManifest(fileId, (long)size, chunks);
    }

    private static long Check(long size, IReadOnlyList<ChunkRef> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long total = 0;
        foreach (var c in chunks)
        {
            if (c.Length <= 0 || c.Length > MaxChunkLength)
            {
                throw new ArgumentException($"Chunk {c.Id.ToShortString()} has a bad length ({c.Length}).", nameof(chunks));
            }

            total += c.Length;
        }

        return total == size ? size : throw new ArgumentException($"The chunk lengths add up to {total}, not {size}.", nameof(chunks));
    }
}
