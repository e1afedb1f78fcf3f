using Lmvp.Server.Storage;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Services;

/// <summary>The group commit of uploads: the finished packs of concurrent requests are made durable and indexed together.</summary>
/// <remarks>
/// An upload's request is answered only after its pack is durable in the blob store and indexed, as before; but instead of
/// each request putting (fsync, rename) and indexing its own pack in its own transaction, one at a time on the database's
/// write lock, the packs that are ready while a group is being published wait for the next group, which puts them all at
/// once (their fsyncs overlap) and indexes them in one transaction. A pack put but not indexed (the server died in between)
/// is indexed at the next start by <see cref="ChunkStore.RecoverAsync"/>, as before.
/// </remarks>
internal sealed partial class ChunkStore
{
    private readonly Lock _publishGate = new();
    private List<PendingPack> _pending = [];
    private bool _publishing;

    /// <summary>Groups published so far and the packs in them (for tests and the bench log).</summary>
    public (long Groups, long Packs) Published => (Interlocked.Read(ref _groups), Interlocked.Read(ref _groupedPacks));

    /// <summary>Finished packs waiting for the group after the one being published.</summary>
    public int PendingPacks
    {
        get
        {
            lock (_publishGate)
            {
                return _pending.Count;
            }
        }
    }

    private long _groups;
    private long _groupedPacks;

    /// <summary>Puts and indexes a finished spool file with the next group; completes once it is durable and visible.</summary>
    /// <remarks>The spool file is the store's from here on: moved into the blob store, or deleted if it could not be put.</remarks>
    /// <exception cref="StorageFailedException">The blob store refused it; nothing was kept.</exception>
    private Task PublishAsync(long repositoryId, string name, string spoolPath, long size, IReadOnlyList<PackEntry> entries)
    {
        var pack = new PendingPack(new NewPack(repositoryId, name, size, entries), spoolPath);
        bool lead;
        lock (_publishGate)
        {
            _pending.Add(pack);
            lead = !_publishing;
            _publishing = true;
        }

        if (lead)
        {
            // Published off the request's thread, so a request waits for its own group only, never for later ones.
            _ = Task.Run(PublishGroupsAsync, CancellationToken.None);
        }

        return pack.Done.Task;
    }

    private async Task PublishGroupsAsync()
    {
        while (true)
        {
            List<PendingPack> group;
            lock (_publishGate)
            {
                if (_pending.Count == 0)
                {
                    _publishing = false;
                    return;
                }

                group = _pending;
                _pending = [];
            }

            try
            {
                await PublishGroupAsync(group).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Never leave a request waiting, nor the publisher stopped for the uploads after it.
                foreach (var p in group)
                {
                    p.Done.TrySetException(e);
                }
            }
        }
    }

    private async Task PublishGroupAsync(List<PendingPack> group)
    {
        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _groupedPacks, group.Count);

        // Not cancellable: other requests' packs are in the group, and a pack that is durable must be indexed.
        var puts = await Task.WhenAll(group.Select(PutAsync)).ConfigureAwait(false);
        var stored = group.Where((_, i) => puts[i] is null).ToList();
        for (var i = 0; i < group.Count; i++)
        {
            if (puts[i] is { } failed)
            {
                group[i].Done.TrySetException(failed);
            }
        }

        if (stored.Count == 0)
        {
            return;
        }

        try
        {
            await _index.AddPacksAsync([.. stored.Select(p => p.Pack)], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (var p in stored)
            {
                p.Done.TrySetException(e);
            }

            return;
        }

        foreach (var p in stored)
        {
            p.Done.TrySetResult();
        }
    }

    /// <summary>Puts one pack's spool file into the blob store; null when it is durable there, else why not.</summary>
    private async Task<Exception?> PutAsync(PendingPack pending)
    {
        var pack = pending.Pack;
        try
        {
            // The finished spool becomes the blob: moved into place where the store can, so its bytes are written once.
            await _blobs.PutFileAsync(BlobName(pack.RepositoryId, pack.Name), pending.SpoolPath, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not BlobNotFoundException)
        {
            return new StorageFailedException($"the server could not store a pack ({e.Message.Split('\n')[0].TrimEnd('.')}); nothing was kept", e);
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            File.Delete(pending.SpoolPath); // nothing when the store moved it
        }
    }

    /// <summary>A finished pack waiting for its group.</summary>
    private sealed record PendingPack(NewPack Pack, string SpoolPath)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
