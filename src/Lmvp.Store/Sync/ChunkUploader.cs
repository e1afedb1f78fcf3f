using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Lmvp.Store.Index;
using Lmvp.Store.Protocol;

namespace Lmvp.Store.Sync;

/// <summary>The chunk half of a push: streams the chunks the server lacks in requests of about the configured size, reading
/// each from the packs while the previous ones are on the wire (the server verifies them; a refused request is verified here).
/// Chunks travel in their stored encoding (frame stream version 2), so compressed chunks cost their compressed size on the wire.</summary>
/// <remarks>The first request is small, so a refusal comes back before much is streamed; after it three requests are kept in
/// flight, so while the server publishes batches (a group commit: fsyncs together, one index transaction) the next are
/// streaming. A killed push loses at most the requests in flight; a re-run asks again what is missing.</remarks>
internal sealed class ChunkUploader(Repository repository, SyncConnection connection, int requestBytes, int maxFrames, PushSession progress)
{
    private const int FirstRequestBytes = 1024 * 1024;

    /// <summary>Chunk uploads kept in flight at once after the first.</summary>
    /// <remarks>Three, by measurement (BENCHMARKS.md, issue 10: a 512 MiB push took 16.3 s with two, 10.4 s with three and 17.5 s
    /// with four on a busy 2-core machine); each one more holds another pack writer's blocks on the server.</remarks>
    internal const int UploadsInFlight = 3;

    /// <summary>Chunks read ahead of the socket.</summary>
    private const int PrefetchChunks = 32;

    public async Task UploadAsync(List<(ObjectId Id, ChunkLocation Location)> chunks, CancellationToken cancellationToken)
    {
        // Packs are opened here, on this thread, so the concurrent senders below never touch the index database.
        foreach (var packId in chunks.Select(c => c.Location.PackId).Distinct())
        {
            repository.Store.Packs.Get(packId);
        }

        var batches = new List<List<(ObjectId Id, ChunkLocation Location)>>();
        var start = 0;
        while (start < chunks.Count)
        {
            // The first request is small: a refusal (read-only token, expired token) then comes back before 64 MiB
            // are streamed at a server that has already answered.
            var limit = start == 0 ? Math.Min(requestBytes, FirstRequestBytes) : requestBytes;
            long payload = 0;
            var end = start;
            while (end < chunks.Count && end - start < maxFrames && (end == start || payload + chunks[end].Location.StoredLength + FrameFormat.FrameHeaderSizeV2 <= limit))
            {
                payload += chunks[end].Location.StoredLength + FrameFormat.FrameHeaderSizeV2;
                end++;
            }

            batches.Add(chunks.GetRange(start, end - start));
            start = end;
        }

        if (batches.Count == 0)
        {
            return;
        }

        await UploadChunkBatchAsync(batches[0], cancellationToken).ConfigureAwait(false);

        // Several requests in flight: while the server publishes batches (fsync, rename, index, grouped) the next are streaming.
        // One request at a time left client and server each idle half the time. A killed push loses at most those in flight.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(UploadsInFlight);
        var running = new List<Task>();
        foreach (var batch in batches.Skip(1))
        {
            try
            {
                await gate.WaitAsync(failed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // an upload failed: its exception is rethrown below
            }

            running.Add(Task.Run(async () =>
            {
                try
                {
                    await UploadChunkBatchAsync(batch, failed.Token).ConfigureAwait(false);
                }
                catch
                {
                    await failed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Cancelled because a sibling failed: report the sibling's error, not the cancellation.
            var real = running.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
            if (real is not null)
            {
                ExceptionDispatchInfo.Throw(real);
            }

            throw;
        }
    }

    private async Task UploadChunkBatchAsync(List<(ObjectId Id, ChunkLocation Location)> batch, CancellationToken cancellationToken)
    {
        var rawBytes = batch.Sum(c => (long)c.Location.RawLength);
        var storedBytes = batch.Sum(c => (long)c.Location.StoredLength);
        try
        {
            await connection.PostFramesAsync(
                "chunks",
                () => new FrameUploadContent(storedBytes, batch.Count, (writer, ct) => WriteChunksAsync(writer, batch, ct), connection.Counter, version: 2),
                FrameFormat.StreamSize(storedBytes, batch.Count, 2),
                ProtocolJsonContext.Default.StoredResponse,
                cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteException e) when (e.StatusCode == 400)
        {
            // The server hashes every chunk it is sent and refused one, keeping nothing of the request: when a chunk was damaged on
            // this disk, that is what to say (the pack, the offset), not what the server saw.
            VerifyLocally(batch);
            throw;
        }

        connection.Counter.ChunksSent(batch.Count, rawBytes, storedBytes);
    }

    /// <summary>Reads <paramref name="batch"/>'s chunks again, verified.</summary>
    /// <exception cref="CorruptObjectException">One of them is damaged in its pack.</exception>
    private void VerifyLocally(List<(ObjectId Id, ChunkLocation Location)> batch)
    {
        var raw = ArrayPool<byte>.Shared.Rent(batch.Max(c => Math.Max(c.Location.RawLength, 1)));
        try
        {
            foreach (var (id, location) in batch)
            {
                repository.Store.ReadChunk(id, location, raw.AsSpan(0, location.RawLength));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private async Task WriteChunksAsync(FrameWriter writer, List<(ObjectId Id, ChunkLocation Location)> batch, CancellationToken cancellationToken)
    {
        // A reader reads the next chunks while this thread sends: disk and socket overlap.
        var channel = Channel.CreateBounded<(ObjectId Id, ChunkLocation Location, byte[] Buffer)>(new BoundedChannelOptions(PrefetchChunks) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? readError = null;
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var (id, location) in batch)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(location.StoredLength, 1));
                    try
                    {
                        // Not verified here: the server decodes and hashes every chunk before it keeps any of a request (verifying here
                        // too was most of a push's CPU on this side), and a refusal is answered by verifying the request's chunks.
                        repository.Store.ReadStoredChunk(id, location, buffer.AsSpan(0, location.StoredLength), [], verify: false);
                        await channel.Writer.WriteAsync((id, location, buffer), stop.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw;
                    }
                }
            }
            catch (Exception e)
            {
                readError = e;
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var (id, location, buffer) in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await writer.WriteStoredAsync(ObjectKind.Chunk, id, location.Encoding, location.RawLength, buffer.AsMemory(0, location.StoredLength),
                        cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                progress.ReportSent(location.RawLength);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            while (channel.Reader.TryRead(out var left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }

        if (readError is not null && readError is not OperationCanceledException)
        {
            ExceptionDispatchInfo.Throw(readError);
        }
    }
}
