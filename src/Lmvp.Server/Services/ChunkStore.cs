using System.Buffers;
using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Codecs;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Services;

/// <summary>One chunk read from the store; its data is valid only until the next one.</summary>
internal readonly record struct ChunkData(ObjectId Id, ReadOnlyMemory<byte> Data);

/// <summary>One chunk as stored (for the wire: nothing decoded); its bytes are valid only until the next one.</summary>
internal readonly record struct StoredChunk(ObjectId Id, ChunkEncoding Encoding, int RawLength, ReadOnlyMemory<byte> Stored);

/// <summary>The chunk bytes of every repository: packs (the client's pack format) kept in the blob store and located through
/// the chunk index. Chunks are stored per repository, so what one holds never shows in another's answers.</summary>
/// <remarks>
/// An upload writes one pack to a local spool file, puts it in the blob store whole, then records its chunks in the index
/// in one transaction: a chunk is visible only once its bytes are durable. A pack that was put but not indexed (the server
/// died in between) is indexed from its own trailer by <see cref="RecoverAsync"/> at the next start. Reads look chunks up in
/// batches and read runs of neighbouring chunks with one range read; every chunk is hashed to its id before it is served.
/// </remarks>
internal sealed class ChunkStore
{
    /// <summary>Chunks looked up in the index at once.</summary>
    private const int LookupBatch = 256;

    /// <summary>The most bytes one range read covers.</summary>
    private const int MaxRunBytes = 8 << 20;

    /// <summary>A gap up to this size between two chunks is read through rather than split into two reads.</summary>
    private const int MaxGapBytes = 64 << 10;

    private readonly IBlobStore _blobs;
    private readonly IChunkIndex _index;
    private readonly string _spoolDirectory;

    public ChunkStore(IBlobStore blobs, IChunkIndex index, string spoolDirectory)
    {
        _blobs = blobs;
        _index = index;
        _spoolDirectory = spoolDirectory;
    }

    /// <summary>The blob a repository's pack is kept as.</summary>
    public static string BlobName(long repositoryId, string pack) =>
        $"repos/{repositoryId.ToString(System.Globalization.CultureInfo.InvariantCulture)}/packs/{pack}";

    /// <summary>The ids in <paramref name="ids"/> the repository does not hold, in order, each once.</summary>
    public Task<IReadOnlyList<ObjectId>> FindMissingAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken) =>
        _index.FindMissingAsync(repositoryId, ids, cancellationToken);

    /// <summary>Like <see cref="FindMissingAsync"/>, and takes the present ones back from gc (for a ref update's check).</summary>
    public Task<IReadOnlyList<ObjectId>> FindMissingAndKeepAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken) =>
        _index.FindMissingAndKeepAsync(repositoryId, ids, cancellationToken);

    private int _openBatches;

    /// <summary>Uploads under way: batches begun and not yet disposed (committed or abandoned).</summary>
    public int OpenBatches => Volatile.Read(ref _openBatches);

    /// <summary>Starts a batch of verified chunks that becomes visible all at once on <see cref="ChunkBatch.CommitAsync"/>, or never.</summary>
    public ChunkBatch BeginBatch(long repositoryId)
    {
        Interlocked.Increment(ref _openBatches);
        return new(this, repositoryId);
    }

    /// <summary>Reads chunks in the order given, each verified against its id; an item's data is valid only until the next one.</summary>
    /// <exception cref="ObjectNotFoundException">The repository does not hold one of them.</exception>
    /// <exception cref="CorruptObjectException">Stored bytes are damaged.</exception>
    public async IAsyncEnumerable<ChunkData> ReadManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[]? decoded = null;
        try
        {
            await foreach (var (entry, stored, pack) in ReadEntriesAsync(repositoryId, ids, cancellationToken).ConfigureAwait(false))
            {
                ReadOnlyMemory<byte> raw;
                if (entry.Encoding == ChunkEncoding.Raw)
                {
                    raw = stored;
                    if (ObjectId.Compute(raw.Span) != entry.Id)
                    {
                        throw new CorruptObjectException($"Chunk {entry.Id.ToShortString()} in {pack} at offset {entry.Offset} is corrupt: its bytes do not hash to its id.");
                    }
                }
                else
                {
                    if (decoded is null || decoded.Length < entry.RawLength)
                    {
                        Return(decoded);
                        decoded = ArrayPool<byte>.Shared.Rent(Math.Max(entry.RawLength, 256 << 10));
                    }

                    PackFormat.DecodeEntry(entry, stored.Span, decoded.AsSpan(0, entry.RawLength));
                    raw = decoded.AsMemory(0, entry.RawLength);
                }

                yield return new ChunkData(entry.Id, raw);
            }
        }
        finally
        {
            Return(decoded);
        }
    }

    /// <summary>Reads chunks in the order given as they are stored (for frame stream version 2: the receiver decodes and verifies);
    /// an item's bytes are valid only until the next one.</summary>
    /// <exception cref="ObjectNotFoundException">The repository does not hold one of them.</exception>
    public async IAsyncEnumerable<StoredChunk> ReadStoredManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (entry, stored, _) in ReadEntriesAsync(repositoryId, ids, cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredChunk(entry.Id, entry.Encoding, entry.RawLength, stored);
        }
    }

    /// <summary>Each chunk's pack entry and stored bytes, in the order given: looked up in batches, neighbours read with one range read.</summary>
    private async IAsyncEnumerable<(PackEntry Entry, ReadOnlyMemory<byte> Stored, string Pack)> ReadEntriesAsync(long repositoryId, IReadOnlyList<ObjectId> ids,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[]? run = null;
        try
        {
            for (var start = 0; start < ids.Count; start += LookupBatch)
            {
                var batch = Slice(ids, start, Math.Min(LookupBatch, ids.Count - start));
                var locations = await _index.LookupAsync(repositoryId, batch, cancellationToken).ConfigureAwait(false);
                var i = 0;
                while (i < batch.Count)
                {
                    // The next chunks asked for, up to MaxRunBytes of them, read in pack order (so neighbours share one range read
                    // whatever order they were asked in: a store where each read is a request pays per read) and served in the
                    // order asked.
                    var end = i;
                    long total = 0;
                    while (end < batch.Count && (end == i || (locations[end] is { } l && total + l.Entry.StoredLength <= MaxRunBytes)))
                    {
                        total += (locations[end] ?? throw new ObjectNotFoundException($"Chunk {batch[end].ToShortString()} not found.")).Entry.StoredLength;
                        end++;
                    }

                    var plan = PlanRuns(locations, i, end);
                    var length = plan.Runs.Sum(r => r.Length);
                    if (run is null || run.Length < length)
                    {
                        Return(run);
                        run = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1 << 20));
                    }

                    var at = 0;
                    foreach (var r in plan.Runs)
                    {
                        await ReadRunAsync(BlobName(repositoryId, r.Pack), r.Offset, run.AsMemory(at, r.Length), cancellationToken).ConfigureAwait(false);
                        at += r.Length;
                    }

                    for (var k = i; k < end; k++)
                    {
                        var entry = locations[k]!.Entry;
                        yield return (entry, run.AsMemory(plan.Positions[k - i], entry.StoredLength), locations[k]!.Pack);
                    }

                    i = end;
                }
            }
        }
        finally
        {
            Return(run);
        }
    }

    /// <summary>Range reads covering the chunks <paramref name="from"/> to <paramref name="to"/> (exclusive) in pack order, neighbours
    /// (gaps up to <see cref="MaxGapBytes"/>) joined, and where each chunk's stored bytes start in the concatenated runs.</summary>
    private static (List<(string Pack, long Offset, int Length)> Runs, int[] Positions) PlanRuns(IReadOnlyList<ChunkLocation?> locations, int from, int to)
    {
        var order = Enumerable.Range(from, to - from)
            .OrderBy(k => locations[k]!.Pack, StringComparer.Ordinal).ThenBy(k => locations[k]!.Entry.DataOffset).ToList();
        var runs = new List<(string Pack, long Offset, int Length)>();
        var positions = new int[to - from];
        var before = 0; // bytes of the runs before the current one
        foreach (var k in order)
        {
            var (pack, entry) = (locations[k]!.Pack, locations[k]!.Entry);
            var last = runs.Count - 1;
            if (last >= 0 && runs[last].Pack == pack && entry.DataOffset >= runs[last].Offset
                && entry.DataOffset <= runs[last].Offset + runs[last].Length + MaxGapBytes)
            {
                var r = runs[last];
                var newEnd = Math.Max(r.Offset + r.Length, entry.DataOffset + entry.StoredLength);
                runs[last] = (r.Pack, r.Offset, (int)(newEnd - r.Offset));
                positions[k - from] = before + (int)(entry.DataOffset - r.Offset);
            }
            else
            {
                before += last >= 0 ? runs[last].Length : 0;
                runs.Add((pack, entry.DataOffset, entry.StoredLength));
                positions[k - from] = before;
            }
        }

        return (runs, positions);
    }

    /// <summary>Indexes every pack the blob store holds and the index does not list (a server that died between putting a
    /// pack and indexing it); returns how many it indexed.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        var byRepository = new Dictionary<long, List<BlobInfo>>();
        await foreach (var blob in _blobs.ListAsync("repos/", cancellationToken).ConfigureAwait(false))
        {
            var parts = blob.Name.Split('/');
            if (parts is ["repos", var id, "packs", var name] && name.EndsWith(PackFormat.Extension, StringComparison.Ordinal)
                && long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var repositoryId))
            {
                (byRepository.TryGetValue(repositoryId, out var list) ? list : byRepository[repositoryId] = []).Add(blob);
            }
        }

        var indexed = 0;
        foreach (var (repositoryId, blobs) in byRepository)
        {
            var known = (await _index.ListPacksAsync(repositoryId, cancellationToken).ConfigureAwait(false)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var blob in blobs)
            {
                var name = blob.Name[(blob.Name.LastIndexOf('/') + 1)..];
                if (!known.Contains(name))
                {
                    var entries = await ReadTrailerAsync(blob.Name, blob.Length, cancellationToken).ConfigureAwait(false);
                    await _index.AddPackAsync(repositoryId, name, blob.Length, entries, cancellationToken).ConfigureAwait(false);
                    indexed++;
                }
            }
        }

        return indexed;
    }

    /// <summary>The entries a pack blob's own trailer lists, verified.</summary>
    public async Task<IReadOnlyList<PackEntry>> ReadTrailerAsync(string blob, long length, CancellationToken cancellationToken)
    {
        var footer = new byte[PackFormat.FooterSize];
        if (length >= PackFormat.FooterSize)
        {
            await _blobs.ReadExactlyAsync(blob, length - PackFormat.FooterSize, footer, cancellationToken).ConfigureAwait(false);
        }

        var name = blob[(blob.LastIndexOf('/') + 1)..];
        var (offset, size, hash) = PackFormat.ReadFooter(footer, length, name);
        var trailer = new byte[size];
        await _blobs.ReadExactlyAsync(blob, offset, trailer, cancellationToken).ConfigureAwait(false);
        return PackFormat.ReadTrailer(trailer, hash, offset, name);
    }

    private async Task ReadRunAsync(string blob, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            await _blobs.ReadExactlyAsync(blob, offset, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException e)
        {
            throw new CorruptObjectException($"The server's pack {blob} is missing: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageFailedException($"the server could not read its pack storage ({e.Message.Split('\n')[0].TrimEnd('.')})", e);
        }
    }

    private static void Return(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IReadOnlyList<ObjectId> Slice(IReadOnlyList<ObjectId> ids, int start, int count)
    {
        if (start == 0 && count == ids.Count)
        {
            return ids;
        }

        var slice = new ObjectId[count];
        for (var i = 0; i < count; i++)
        {
            slice[i] = ids[start + i];
        }

        return slice;
    }

    /// <summary>One upload's chunks: a spooled pack, put and indexed on commit; disposing an uncommitted batch keeps nothing.</summary>
    /// <remarks>Raw chunks get their stored encoding from a <see cref="ChunkEncoder"/>, as a client's commit does; chunks that
    /// arrive encoded are kept as they came.</remarks>
    internal sealed class ChunkBatch : IAsyncDisposable
    {
        private readonly ChunkStore _store;
        private readonly long _repositoryId;
        private readonly HashSet<ObjectId> _added = [];
        private readonly ChunkEncoder _encoder = new();
        private FileStream? _spool;
        private string? _spoolPath;
        private PackWriter? _pack;
        private bool _done;
        private bool _disposed;

        public ChunkBatch(ChunkStore store, long repositoryId)
        {
            _store = store;
            _repositoryId = repositoryId;
        }

        /// <summary>Adds a chunk whose bytes the caller has verified against <paramref name="id"/>, choosing its stored encoding from
        /// what it holds; false when this batch already holds it.</summary>
        public bool Add(ObjectId id, ReadOnlySpan<byte> data, ElementKind kind = ElementKind.Unknown)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            if (!_added.Add(id))
            {
                return false;
            }

            var encoded = _encoder.Encode(data, kind);
            Pack().AppendEncoded(ObjectKind.Chunk, id, encoded.Encoding, encoded.Stored, data.Length);
            return true;
        }

        /// <summary>Adds a chunk in its stored form, which the caller has decoded and hashed to <paramref name="id"/>; false when this
        /// batch already holds it.</summary>
        public bool AddStored(ObjectId id, ChunkEncoding encoding, ReadOnlySpan<byte> stored, int rawLength)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            if (!_added.Add(id))
            {
                return false;
            }

            Pack().AppendEncoded(ObjectKind.Chunk, id, encoding, stored, rawLength);
            return true;
        }

        private PackWriter Pack()
        {
            if (_pack is null)
            {
                _spoolPath = Path.Combine(_store._spoolDirectory, "pack-" + Guid.NewGuid().ToString("N"));
                _spool = new FileStream(_spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0);
                _pack = new PackWriter(_spool, leaveOpen: true);
            }

            return _pack;
        }

        /// <summary>Makes every added chunk durable and visible; returns how many the repository did not hold before.</summary>
        public async Task<int> CommitAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            _done = true;
            if (_pack is null)
            {
                return 0;
            }

            var entries = _pack.Entries;
            var name = _pack.Finish();
            var missing = await _store._index.FindMissingAsync(_repositoryId, [.. _added], cancellationToken).ConfigureAwait(false);
            if (missing.Count == 0)
            {
                return 0; // a retried upload: every chunk arrived before
            }

            var size = _spool!.Length;
            await _spool.DisposeAsync().ConfigureAwait(false);
            _spool = null;
            try
            {
                // The finished spool becomes the blob: moved into place where the store can, so its bytes are written once.
                await _store._blobs.PutFileAsync(BlobName(_repositoryId, name), _spoolPath!, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not BlobNotFoundException)
            {
                throw new StorageFailedException($"the server could not store a pack ({e.Message.Split('\n')[0].TrimEnd('.')}); nothing was kept", e);
            }

            // The pack is durable: index it even if the request is being cancelled, so the two stay in step.
            await _store._index.AddPackAsync(_repositoryId, name, size, entries, CancellationToken.None).ConfigureAwait(false);
            return missing.Count;
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _done = true;
            _pack?.Dispose();
            _pack = null;
            _encoder.Dispose();
            if (_spool is not null)
            {
                await _spool.DisposeAsync().ConfigureAwait(false);
                _spool = null;
            }

            if (_spoolPath is not null)
            {
                File.Delete(_spoolPath); // nothing when the store took it
            }

            Interlocked.Decrement(ref _store._openBatches);
        }
    }
}
