using System.Collections.Concurrent;
using System.Runtime.InteropServices;
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

    /// <summary>Room for an encoding's header beyond a chunk's raw length in the arena (the byte-plane header is at most 24 bytes).</summary>
    private const int ArenaSlack = 64;

    /// <summary>Batches with fewer chunks to encode than this are encoded on the calling thread.</summary>
    private const int ParallelFrom = 4;

    private readonly HashSet<ObjectId> _pending = [];
    private readonly List<ObjectId> _candidates = [];

    // Separate from chunk ids: a one-chunk file's id equals its chunk's id, and its manifest must still be written.
    private readonly HashSet<(ObjectId, ObjectKind)> _pendingObjectIds = [];
    private readonly List<(ObjectId Id, ObjectKind Kind, byte[] Data)> _pendingObjects = [];

    private readonly ChunkEncoder _encoder = new();
    private readonly List<PendingChunk> _batch = [];
    private readonly ConcurrentBag<EncoderScratch> _scratches = [];
    private byte[] _arena = [];
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
    /// <remarks>Encoding is the costly part of storing a new chunk, so a batch is encoded on every core: first, in file order,
    /// the new chunks are picked and their encodings planned (samples, whose verdicts the chunks after them follow, are encoded
    /// then); then the rest are encoded in parallel into an arena; then all are appended in order.</remarks>
    public unsafe void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<ElementKind> kinds, ReadOnlySpan<byte> data)
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
        // Room for every chunk of the batch at once, in whole MiB (what it held belongs to the last batch, so nothing is copied):
        // grown as chunks were planned, it was copied at each doubling into fresh pages, and a batch a little larger than the
        // last doubled it again.
        var bound = data.Length + (chunks.Length * ArenaSlack);
        if (_arena.Length < bound)
        {
            _arena = GC.AllocateUninitializedArray<byte>((bound + (1 << 20) - 1) & ~((1 << 20) - 1));
        }

        _batch.Clear();
        var offset = 0;
        var arena = 0;
        for (var i = 0; i < chunks.Length; i++)
        {
            var c = chunks[i];
            var bytes = data.Slice(offset, c.Length);
            var at = offset;
            offset += c.Length;
            if (_pending.Contains(c.Id) || (existing is not null && existing.Contains(c.Id)))
            {
                continue;
            }

            _pending.Add(c.Id);
            var plan = _encoder.Plan(bytes, kinds.IsEmpty ? ElementKind.Unknown : kinds[i]);
            var item = new PendingChunk(c.Id, at, c.Length, plan, arena);
            arena += c.Length + ArenaSlack;
            if (plan.Sample)
            {
                EnsureArena(arena);
                item = Keep(item, _encoder.Apply(plan, bytes));
            }

            _batch.Add(item);
        }

        EnsureArena(arena);

        var todo = _batch.Count(b => !b.Done);
        if (todo >= ParallelFrom && Environment.ProcessorCount > 1)
        {
            fixed (byte* p = data)
            {
                var start = (nint)p;
                var items = CollectionsMarshal.AsSpan(_batch).ToArray();
                Parallel.For(0, items.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, RentScratch, (j, loop, scratch) =>
                {
                    if (!items[j].Done)
                    {
                        // Encoded straight into the chunk's own slot of the arena: nothing to copy afterwards.
                        var raw = new ReadOnlySpan<byte>((byte*)start + items[j].Offset, items[j].Length);
                        var slot = _arena.AsSpan(items[j].ArenaOffset, EncoderScratch.OutputSize(items[j].Length));
                        var encoded = scratch.ApplyInto(items[j].Plan, raw, slot, out _);
                        items[j] = items[j] with { Done = true, Encoding = encoded.Encoding, StoredLength = encoded.Stored.Length };
                    }

                    return scratch;
                }, _scratches.Add);
                _batch.Clear();
                _batch.AddRange(items);
            }
        }
        else
        {
            for (var j = 0; j < _batch.Count; j++)
            {
                if (!_batch[j].Done)
                {
                    _batch[j] = Keep(_batch[j], _encoder.Apply(_batch[j].Plan, data.Slice(_batch[j].Offset, _batch[j].Length)));
                }
            }
        }

        foreach (var item in _batch)
        {
            var stored = item.Encoding == ChunkEncoding.Raw ? data.Slice(item.Offset, item.Length) : _arena.AsSpan(item.ArenaOffset, item.StoredLength);
            Add(item.Id, item.Encoding, stored, item.Length);
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
        while (_scratches.TryTake(out var scratch))
        {
            scratch.Dispose();
        }
    }

    private EncoderScratch RentScratch() => _scratches.TryTake(out var scratch) ? scratch : new EncoderScratch();

    /// <summary>Grows the arena to <paramref name="size"/> bytes, keeping what it holds; only on the planning thread, before the
    /// parallel encoders write to their slots.</summary>
    private void EnsureArena(int size)
    {
        if (_arena.Length < size)
        {
            var grown = GC.AllocateUninitializedArray<byte>(Math.Max(size, 2 * _arena.Length));
            _arena.CopyTo(grown, 0);
            _arena = grown;
        }
    }

    /// <summary>Records a chunk's encoding; encoded bytes go to its slot of the arena.</summary>
    private PendingChunk Keep(PendingChunk item, EncodedChunk encoded)
    {
        if (encoded.Encoding != ChunkEncoding.Raw)
        {
            encoded.Stored.CopyTo(_arena.AsSpan(item.ArenaOffset));
        }

        return item with { Done = true, Encoding = encoded.Encoding, StoredLength = encoded.Stored.Length };
    }

    /// <summary>A new chunk of the batch being accepted: where its bytes are, how it is encoded, and where its encoding went.</summary>
    private readonly record struct PendingChunk(ObjectId Id, int Offset, int Length, EncodePlan Plan, int ArenaOffset)
    {
        public bool Done { get; init; }

        public ChunkEncoding Encoding { get; init; }

        public int StoredLength { get; init; }
    }

    private PackWriter Pack() => (_pack ??= new PackFile(store.Packs.Directory)).Writer;
}
