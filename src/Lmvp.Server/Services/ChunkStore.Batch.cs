using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Codecs;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Services;

/// <summary>The write side of the chunk store: an upload's batch of chunks.</summary>
internal sealed partial class ChunkStore
{
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
                // Around the page cache: the spool is fsynced before it is published anyway, and copying every upload into fresh
                // page-cache pages was a fifth of the server's CPU during a push (BENCHMARKS.md, issue 10).
                _pack = PackWriter.ForSpool(_spool, leaveOpen: true);
            }

            return _pack;
        }

        /// <summary>Makes every added chunk durable and visible (with the other uploads finishing at the same time: see
        /// <see cref="PublishAsync"/>); returns how many the repository did not hold before.</summary>
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
            var spoolPath = _spoolPath!;
            _spoolPath = null; // the store's now: put and indexed with the next group of uploads, or deleted
            await _store.PublishAsync(_repositoryId, name, spoolPath, size, entries).ConfigureAwait(false);
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
                File.Delete(_spoolPath);
            }

            Interlocked.Decrement(ref _store._openBatches);
        }
    }
}
