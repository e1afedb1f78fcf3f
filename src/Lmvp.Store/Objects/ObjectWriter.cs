using Lmvp.Store.Chunking;
using Lmvp.Store.Codecs;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Writes new chunks and metadata objects into packs, skipping whatever the repository already holds.</summary>
/// <remarks>
/// Crash safety: bytes go to a temporary pack; <see cref="Publish"/> flushes and renames it, and only then inserts the
/// index rows in one transaction, together with whatever the caller moves (a ref) in the same transaction. A pack that
/// grows past <see cref="PackTargetSize"/> is published early, without a ref move: its chunks are indexed but
/// unreferenced until the commit lands, which gc reclaims if it never does.
/// Each chunk's stored encoding is chosen by a <see cref="ChunkEncoder"/> from what the format reader says it holds (floats
/// go to byte planes), deciding per file on samples so that what does not compress costs little.
/// </remarks>
internal sealed class ObjectWriter(ObjectStore store) : IChunkSink, IDisposable
{
    /// <summary>A pack is published once it grows past this size.</summary>
    public const long PackTargetSize = 1L << 30;

    private readonly HashSet<ObjectId> _pending = [];
    private readonly List<ObjectId> _candidates = [];

    // Separate from chunk ids: a one-chunk file's id equals its chunk's id, and its manifest must still be written.
    private readonly HashSet<(ObjectId, ObjectKind)> _pendingObjectIds = [];
    private readonly List<(ObjectId Id, ObjectKind Kind, byte[] Data)> _pendingObjects = [];
    private readonly ChunkEncoder _encoder = new();
    private PackFile? _pack;

    /// <summary>New chunks written.</summary>
    public long NewChunks { get; private set; }

    /// <summary>Raw bytes of the new chunks (what dedup left to store).</summary>
    public long NewChunkBytes { get; private set; }

    /// <summary>Bytes of new chunks as stored (after compression, with their pack entry headers).</summary>
    public long NewStoredBytes { get; private set; }

    /// <summary>Resets the per-file encoding decisions.</summary>
    public void BeginFile() => _encoder.BeginStream();

    /// <inheritdoc />
    public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<ElementKind> kinds, ReadOnlySpan<byte> data)
    {
        _candidates.Clear();
        foreach (var c in chunks)
        {
            if (!_pending.Contains(c.Id))
            {
                _candidates.Add(c.Id);
            }
        }

        var existing = _candidates.Count == 0 ? null : store.Database.FindExistingChunks(_candidates);
        var offset = 0;
        for (var i = 0; i < chunks.Length; i++)
        {
            var c = chunks[i];
            var bytes = data.Slice(offset, c.Length);
            offset += c.Length;
            if (_pending.Contains(c.Id) || (existing is not null && existing.Contains(c.Id)))
            {
                continue;
            }

            var encoded = _encoder.Encode(bytes, kinds.IsEmpty ? ElementKind.Unknown : kinds[i]);
            Add(c.Id, encoded.Encoding, encoded.Stored, c.Length);
        }
    }

    /// <summary>Stores a chunk the caller knows the repository lacks (a fetch: it has hashed the bytes to <paramref name="id"/>),
    /// choosing its encoding; false when this writer already holds it.</summary>
    public bool AcceptRaw(ObjectId id, ReadOnlySpan<byte> raw, ElementKind kind)
    {
        if (_pending.Contains(id))
        {
            return false;
        }

        var encoded = _encoder.Encode(raw, kind);
        Add(id, encoded.Encoding, encoded.Stored, raw.Length);
        return true;
    }

    /// <summary>Stores a chunk already in its stored form, one the caller knows the repository lacks (a fetch: it has decoded the
    /// bytes and hashed them to <paramref name="id"/>); false when this writer already holds it.</summary>
    public bool AcceptStored(ObjectId id, ChunkEncoding encoding, ReadOnlySpan<byte> stored, int rawLength)
    {
        if (_pending.Contains(id))
        {
            return false;
        }

        Add(id, encoding, stored, rawLength);
        return true;
    }

    private void Add(ObjectId id, ChunkEncoding encoding, ReadOnlySpan<byte> stored, int rawLength)
    {
        var entry = Pack().AppendEncoded(ObjectKind.Chunk, id, encoding, stored, rawLength);
        _pending.Add(id);
        NewChunks++;
        NewChunkBytes += rawLength;
        NewStoredBytes += entry.StoredLength + PackFormat.EntryHeaderSize;
        if (_pack!.Writer.Length >= PackTargetSize)
        {
            Publish(null);
        }
    }

    /// <summary>Stores a metadata object unless the repository already has it.</summary>
    public void PutObject(ObjectKind kind, ObjectId id, byte[] data)
    {
        if (_pendingObjectIds.Contains((id, kind)) || store.Database.HasObject(id, kind))
        {
            return;
        }

        Pack().Append(kind, id, data, tryCompress: data.Length >= 4096);
        _pendingObjectIds.Add((id, kind));
        _pendingObjects.Add((id, kind, data));
    }

    /// <summary>Publishes the current pack and indexes it; <paramref name="inSameTransaction"/> runs in the same transaction.</summary>
    public void Publish(Action? inSameTransaction)
    {
        string? name = null;
        IReadOnlyList<PackEntry> entries = [];
        long size = 0;
        if (_pack is not null)
        {
            entries = _pack.Writer.Entries;
            name = _pack.Publish();
            size = new FileInfo(Path.Combine(store.Packs.Directory, name)).Length;
            _pack.Dispose();
            _pack = null;
        }

        var objects = _pendingObjects.ToArray();
        store.Database.InTransaction(() =>
        {
            if (name is not null)
            {
                var packId = store.Database.AddPack(name, size);
                store.Database.InsertChunks(packId, entries);
            }

            foreach (var (id, kind, data) in objects)
            {
                store.Database.PutObject(id, kind, data);
            }

            inSameTransaction?.Invoke();
        });
        _pending.Clear();
        _pendingObjectIds.Clear();
        _pendingObjects.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _pack?.Dispose();
        _pack = null;
        _encoder.Dispose();
    }

    private PackWriter Pack() => (_pack ??= new PackFile(store.Packs.Directory)).Writer;
}
