using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Store;
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
internal sealed partial class ChunkStore
{
    /// <summary>Chunks looked up in the index at once.</summary>
    private const int LookupBatch = 256;

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
    /// <exception cref="DamagedDataException">Stored bytes are damaged, or their pack is gone.</exception>
    public IAsyncEnumerable<ChunkData> ReadManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken) =>
        ReadManyAsync(repositoryId, ids, verify: true, cancellationToken);

    /// <summary>Reads chunks in the order given, each verified against its id unless <paramref name="verify"/> is false (a caller that
    /// hashes what it reads as a whole); an item's data is valid only until the next one.</summary>
    /// <exception cref="ObjectNotFoundException">The repository does not hold one of them.</exception>
    /// <exception cref="DamagedDataException">Stored bytes are damaged, or their pack is gone.</exception>
    public async IAsyncEnumerable<ChunkData> ReadManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, bool verify,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[]? decoded = null;
        try
        {
            await foreach (var (entry, stored, pack) in ReadEntriesAsync(repositoryId, ids, cancellationToken).ConfigureAwait(false))
            {
                yield return new ChunkData(entry.Id, Decode(entry, stored, pack, verify, ref decoded));
            }
        }
        finally
        {
            ServerBuffers.Return(ref decoded);
        }
    }

    /// <summary>Reads chunks in the order given as they are stored (for frame stream version 2: the receiver decodes and verifies
    /// again), each checked against its id first so that a damaged copy is reported as such, not sent; an item's bytes are valid
    /// only until the next one.</summary>
    /// <exception cref="ObjectNotFoundException">The repository does not hold one of them.</exception>
    /// <exception cref="DamagedDataException">Stored bytes are damaged, or their pack is gone.</exception>
    public async IAsyncEnumerable<StoredChunk> ReadStoredManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[]? decoded = null;
        try
        {
            await foreach (var (entry, stored, pack) in ReadEntriesAsync(repositoryId, ids, cancellationToken).ConfigureAwait(false))
            {
                _ = Decode(entry, stored, pack, verify: true, ref decoded);
                yield return new StoredChunk(entry.Id, entry.Encoding, entry.RawLength, stored);
            }
        }
        finally
        {
            ServerBuffers.Return(ref decoded);
        }
    }

    /// <summary>A chunk's raw bytes (the stored ones, or decoded into <paramref name="decoded"/>), hashed to its id unless
    /// <paramref name="verify"/> is false.</summary>
    /// <exception cref="DamagedDataException">They do not decode or hash to its id.</exception>
    private static ReadOnlyMemory<byte> Decode(PackEntry entry, ReadOnlyMemory<byte> stored, string pack, bool verify, ref byte[]? decoded)
    {
        if (entry.Encoding == ChunkEncoding.Raw)
        {
            return verify && ObjectId.Compute(stored.Span) != entry.Id
                ? throw DamagedDataException.Chunk(entry.Id, pack, entry.Offset, "its bytes do not hash to its id")
                : stored;
        }

        if (decoded is null || decoded.Length < entry.RawLength)
        {
            ServerBuffers.Return(ref decoded);
            decoded = ServerBuffers.Pool.Rent(Math.Max(entry.RawLength, 256 << 10));
        }

        try
        {
            PackFormat.DecodeEntry(entry, stored.Span, decoded.AsSpan(0, entry.RawLength), verify);
        }
        catch (CorruptObjectException e)
        {
            throw DamagedDataException.Chunk(entry.Id, pack, entry.Offset, e.Message.TrimEnd('.'), e);
        }

        return decoded.AsMemory(0, entry.RawLength);
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
                var batch = IdViews.Range(ids, start, Math.Min(LookupBatch, ids.Count - start));
                var locations = await _index.LookupAsync(repositoryId, batch, cancellationToken).ConfigureAwait(false);
                var i = 0;
                while (i < batch.Count)
                {
                    // The next chunks asked for, up to the blob store's RunBytes of them, read in pack order (so neighbours share one
                    // range read whatever order they were asked in: a store where each read is a request pays per read) and served in
                    // the order asked.
                    var end = i;
                    long total = 0;
                    while (end < batch.Count && (end == i || (locations[end] is { } l && total + l.Entry.StoredLength <= _blobs.RunBytes)))
                    {
                        total += (locations[end] ?? throw new ObjectNotFoundException($"Chunk {batch[end].ToShortString()} not found.")).Entry.StoredLength;
                        end++;
                    }

                    var plan = PlanRuns(locations, i, end);
                    var length = plan.Runs.Sum(r => r.Length);
                    if (run is null || run.Length < length)
                    {
                        // A first small run gets 1 MiB; past that, straight to the size a full run needs (grown step by step,
                        // the pool kept one buffer of each step).
                        var size = run is null && length <= 1 << 20 ? 1 << 20 : Math.Max(length, _blobs.RunBytes);
                        ServerBuffers.Return(ref run);
                        run = ServerBuffers.Pool.Rent(size);
                    }

                    var at = 0;
                    foreach (var r in plan.Runs)
                    {
                        await ReadRunAsync(BlobName(repositoryId, r.First.Pack), r.First, run.AsMemory(at, r.Length), cancellationToken).ConfigureAwait(false);
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
            ServerBuffers.Return(ref run);
        }
    }

    /// <summary>Range reads covering the chunks <paramref name="from"/> to <paramref name="to"/> (exclusive) in pack order, neighbours
    /// (gaps up to <see cref="MaxGapBytes"/>) joined, and where each chunk's stored bytes start in the concatenated runs.</summary>
    private static (List<(ChunkLocation First, int Length)> Runs, int[] Positions) PlanRuns(IReadOnlyList<ChunkLocation?> locations, int from, int to)
    {
        var order = Enumerable.Range(from, to - from)
            .OrderBy(k => locations[k]!.Pack, StringComparer.Ordinal).ThenBy(k => locations[k]!.Entry.DataOffset).ToList();
        var runs = new List<(ChunkLocation First, int Length)>();
        var positions = new int[to - from];
        var before = 0; // bytes of the runs before the current one
        foreach (var k in order)
        {
            var (pack, entry) = (locations[k]!.Pack, locations[k]!.Entry);
            var last = runs.Count - 1;
            if (last >= 0 && runs[last].First.Pack == pack && entry.DataOffset >= runs[last].First.Entry.DataOffset
                && entry.DataOffset <= runs[last].First.Entry.DataOffset + runs[last].Length + MaxGapBytes)
            {
                var r = runs[last];
                var offset = r.First.Entry.DataOffset;
                var newEnd = Math.Max(offset + r.Length, entry.DataOffset + entry.StoredLength);
                runs[last] = (r.First, (int)(newEnd - offset));
                positions[k - from] = before + (int)(entry.DataOffset - offset);
            }
            else
            {
                before += last >= 0 ? runs[last].Length : 0;
                runs.Add((locations[k]!, entry.StoredLength));
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

    private async Task ReadRunAsync(string blob, ChunkLocation first, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            await _blobs.ReadExactlyAsync(blob, first.Entry.DataOffset, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException e)
        {
            throw DamagedDataException.Chunk(first.Entry.Id, first.Pack, first.Entry.Offset, "the pack is missing", e);
        }
        catch (CorruptObjectException e)
        {
            throw DamagedDataException.Chunk(first.Entry.Id, first.Pack, first.Entry.Offset, "the pack is shorter than the index says", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageFailedException($"the server could not read its pack storage ({e.Message.Split('\n')[0].TrimEnd('.')})", e);
        }
    }
}
