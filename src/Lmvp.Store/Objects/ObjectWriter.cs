using Lmvp.Store.Chunking;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Writes new chunks and metadata objects into packs, skipping whatever the repository already holds.</summary>
/// <remarks>
/// Crash safety: bytes go to a temporary pack; <see cref="Publish"/> flushes and renames it, and only then inserts the
/// index rows in one transaction, together with whatever the caller moves (a ref) in the same transaction. A pack that
/// grows past <see cref="PackTargetSize"/> is published early, without a ref move: its chunks are indexed but
/// unreferenced until the commit lands, which gc reclaims if it never does.
/// Compression is decided per file by sampling: the first 8 KiB of every 16th chunk is trial-compressed with zstd
/// level 1, and that chunk and the ones after it are compressed only if the trial saved at least 10% (and then each
/// is kept compressed only if it saved 10% itself). Float weights fail the trial and are stored raw for about 1% of
/// the cost of compressing everything.
/// </remarks>
internal sealed class ObjectWriter(ObjectStore store) : IChunkSink, IDisposable
{
    /// <summary>A pack is published once it grows past this size.</summary>
    public const long PackTargetSize = 1L << 30;

    private const int SampleEvery = 16;

    private readonly HashSet<ObjectId> _pending = [];
    private readonly List<ObjectId> _candidates = [];

    // Separate from chunk ids: a one-chunk file's id equals its chunk's id, and its manifest must still be written.
    private readonly HashSet<(ObjectId, ObjectKind)> _pendingObjectIds = [];
    private readonly List<(ObjectId Id, ObjectKind Kind, byte[] Data)> _pendingObjects = [];
    private PackFile? _pack;
    private int _chunkInFile;
    private bool _compressing;

    /// <summary>New chunks written.</summary>
    public long NewChunks { get; private set; }

    /// <summary>Bytes of new chunks as stored (after compression).</summary>
    public long NewStoredBytes { get; private set; }

    /// <summary>Resets the per-file compression decision.</summary>
    public void BeginFile()
    {
        _chunkInFile = 0;
        _compressing = false;
    }

    /// <inheritdoc />
    public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data)
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
        foreach (var c in chunks)
        {
            var bytes = data.Slice(offset, c.Length);
            offset += c.Length;
            var sample = _chunkInFile++ % SampleEvery == 0;
            if (_pending.Contains(c.Id) || (existing is not null && existing.Contains(c.Id)))
            {
                continue;
            }

            if (sample)
            {
                _compressing = Pack().CompressionPays(bytes);
            }

            var entry = Pack().Append(ObjectKind.Chunk, c.Id, bytes, tryCompress: _compressing);

            _pending.Add(c.Id);
            NewChunks++;
            NewStoredBytes += entry.StoredLength + PackFormat.EntryHeaderSize;
            if (_pack!.Writer.Length >= PackTargetSize)
            {
                Publish(null);
            }
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
    }

    private PackWriter Pack() => (_pack ??= new PackFile(store.Packs.Directory)).Writer;
}
