using Lmvp.Store.Chunking;

namespace Lmvp.Store.Objects;

/// <summary>The ordered chunks of one file, stored under the file id.</summary>
/// <remarks>
/// A manifest is addressed by the file id (BLAKE3 of the whole content) rather than by the hash of its own bytes:
/// a tree names the file id, and a manifest is fully verified by hashing the chunks it lists back to that id,
/// which is stronger than a hash of the list itself. Its encoding is still canonical (decode then re-encode
/// gives the same bytes).
/// </remarks>
internal sealed class FileManifest
{
    private static ReadOnlySpan<byte> Magic => "LMAN"u8;
    private const byte Version = 1;
    private const int EntrySize = ObjectId.Size + 4;

    public FileManifest(ObjectId fileId, long size, IReadOnlyList<ChunkRef> chunks)
    {
        FileId = fileId;
        Size = size;
        Chunks = chunks;
    }

    public ObjectId FileId { get; }

    public long Size { get; }

    public IReadOnlyList<ChunkRef> Chunks { get; }

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
            if (length == 0 || length > Packs.PackFormat.MaxEntrySize)
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
}
