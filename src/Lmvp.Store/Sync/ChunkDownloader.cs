using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Lmvp.Store.Codecs;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Protocol;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store.Sync;

/// <summary>The chunk half of a fetch: asks the server for the chunks the repository lacks, in batches, and keeps each one
/// only after decoding it within its declared length and hashing it to its id.</summary>
/// <remarks>
/// Chunks come in their stored encoding (frame stream version 2) and are kept as they came, so the wire and the disk carry
/// the compressed bytes and nothing is compressed twice; a server that sends raw frames (version 1) has them encoded here.
/// Chunks are published in batches (one pack per batch), so an interrupted fetch keeps what arrived and a re-run asks only
/// for the rest. Within a batch, one thread receives and checks order and sizes while a second decodes, hashes and writes
/// each chunk to the pack, so network and hashing overlap. With a <see cref="StreamingCheckout"/> (a clone), each verified chunk
/// is also written into the checked-out files that hold it, and the files placed go to the stat cache with each batch.
/// </remarks>
internal sealed class ChunkDownloader(Repository repository, SyncConnection connection, SyncOptions options, int batchBytes,
    Func<ObjectId, string?>? describeFile = null, StreamingCheckout? checkout = null)
{
    /// <summary>Chunks received but not yet hashed and written.</summary>
    private const int PipelineDepth = 32;

    private string Server => connection.Server;

    /// <summary>Downloads every chunk of <paramref name="manifests"/> the repository lacks; each is verified before it is kept.</summary>
    public async Task DownloadAsync(IEnumerable<FileManifest> manifests, CancellationToken cancellationToken)
    {
        var database = repository.Database;
        var needed = new List<(ObjectId Id, int Length)>();
        var seen = new HashSet<ObjectId>();
        var files = manifests.ToList();
        foreach (var manifest in files)
        {
            connection.Counter.Logical(manifest.Size);
            foreach (var c in manifest.Chunks)
            {
                if (seen.Add(c.Id))
                {
                    needed.Add((c.Id, c.Length));
                }
            }
        }

        // One index query per 128 ids, not one per chunk.
        var present = database.FindExistingChunks(needed.ConvertAll(c => c.Id));
        needed.RemoveAll(c => present.Contains(c.Id));
        checkout?.WritePresent(present);
        checkout?.RecordPlaced(database);

        var total = needed.Sum(n => (long)n.Length);
        long done = 0;
        var start = 0;
        while (start < needed.Count)
        {
            long bytes = 0;
            var end = start;
            while (end < needed.Count && end - start < ProtocolLimits.MaxIdsPerRequest && (end == start || bytes + needed[end].Length <= batchBytes))
            {
                bytes += needed[end].Length;
                end++;
            }

            var batch = needed.GetRange(start, end - start);
            using (var writer = new ObjectWriter(repository.Store))
            {
                writer.BeginFile();
                var state = new BatchState();
                try
                {
                    await connection.PostForFramesAsync(
                        "chunks/download",
                        () => new IdListRequest(ProtocolIds.Hex(batch.Skip(state.Next).Select(b => b.Id))),
                        ProtocolJsonContext.Default.IdListRequest,
                        (stream, ct) => ReadChunkStreamAsync(stream, batch, state, writer, files, (length, wire) =>
                        {
                            done += length;
                            connection.Counter.ChunkReceived(length, wire);
                            options.Progress?.Report(new ProgressInfo("fetch", done, total));
                        }, ct),
                        bytes,
                        FrameFormat.AcceptVersion2,
                        cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (state.Next > 0 && e is RemoteException or OperationCanceledException or IOException)
                {
                    // Given up or cancelled part-way: keep the verified chunks of this batch too, so a re-run skips them.
                    writer.Publish(null);
                    checkout?.RecordPlaced(database);
                    if (e is RemoteException { StatusCode: 404 } r)
                    {
                        throw LacksChunks(r);
                    }

                    throw;
                }
                catch (RemoteException e) when (e.StatusCode == 404)
                {
                    throw LacksChunks(e);
                }

                writer.Publish(null);
                checkout?.RecordPlaced(database);
            }

            start = end;
        }

        var arrived = database.FindExistingChunks(needed.ConvertAll(c => c.Id));
        foreach (var (id, _) in needed)
        {
            if (!arrived.Contains(id))
            {
                throw new CorruptObjectException($"Chunk {id.ToShortString()} is still missing after the download.");
            }
        }
    }

    private RemoteException LacksChunks(RemoteException e) =>
        new($"{Server} lacks chunks of its own commits ({e.ServerMessage}); what arrived so far is kept.", e);

    /// <summary>Reads one chunks/download answer: this thread receives and checks order and sizes, a second thread decodes and
    /// hashes each chunk and writes it to the pack, so network and hashing overlap.</summary>
    /// <remarks>A retry after a broken stream asks only for the chunks after <see cref="BatchState.Next"/>: those before
    /// are verified and pending in the writer.</remarks>
    private async Task ReadChunkStreamAsync(Stream stream, List<(ObjectId Id, int Length)> batch, BatchState state, ObjectWriter writer,
        List<FileManifest> files, Action<int, int> onChunk, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(stream, ProtocolLimits.MaxChunkFrame);
        var channel = Channel.CreateBounded<Received>(new BoundedChannelOptions(PipelineDepth) { SingleReader = true, SingleWriter = true });
        using var consumerFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? consumerError = null;
        var consumer = Task.Run(async () =>
        {
            var raw = ArrayPool<byte>.Shared.Rent(Chunking.ChunkerParameters.Default.MaxSize);
            try
            {
                await foreach (var chunk in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    try
                    {
                        var stored = chunk.Buffer.AsSpan(0, chunk.StoredLength);
                        if (raw.Length < chunk.RawLength)
                        {
                            ArrayPool<byte>.Shared.Return(raw);
                            raw = ArrayPool<byte>.Shared.Rent(chunk.RawLength);
                        }

                        // Decoded into exactly the length the manifest names: a frame that would expand further is refused.
                        var entry = new PackEntry(chunk.Id, ObjectKind.Chunk, chunk.Encoding, 0, chunk.StoredLength, chunk.RawLength);
                        if (PackFormat.DecodeEntry(entry, stored, raw.AsSpan(0, chunk.RawLength), verify: true, null) is { } error)
                        {
                            throw new CorruptObjectException($"Chunk {chunk.Id.ToShortString()} from {Server} {error}. It was not kept.");
                        }

                        if (chunk.Encoding == ChunkEncoding.Raw)
                        {
                            writer.AcceptRaw(chunk.Id, stored, ElementKind.Unknown);
                        }
                        else
                        {
                            writer.AcceptStored(chunk.Id, chunk.Encoding, stored, chunk.RawLength);
                        }

                        checkout?.Accept(chunk.Id, raw.AsSpan(0, chunk.RawLength));

                        state.Next++;
                        onChunk(chunk.RawLength, chunk.StoredLength);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(chunk.Buffer);
                    }
                }
            }
            catch (Exception e)
            {
                consumerError = e;
                await consumerFailed.CancelAsync().ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }, CancellationToken.None);

        var expected = state.Next;
        Exception? readError = null;
        try
        {
            while (await reader.ReadAsync(consumerFailed.Token).ConfigureAwait(false) is { } frame)
            {
                if (expected >= batch.Count)
                {
                    throw new RemoteException($"{Server} sent more chunks than were asked for.");
                }

                var (id, length) = batch[expected];
                if (frame.Kind != ObjectKind.Chunk || frame.Id != id)
                {
                    throw new RemoteException($"{Server} answered with {frame.Kind.ToString().ToLowerInvariant()} {frame.Id.ToShortString()} where chunk {id.ToShortString()} was asked for.");
                }

                if (frame.RawLength != length)
                {
                    throw new CorruptObjectException($"Chunk {id.ToShortString()} from {Server} has {frame.RawLength} bytes, not {length}. It was not kept.");
                }

                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(frame.Data.Length, 1));
                frame.Data.Span.CopyTo(buffer);
                try
                {
                    await channel.Writer.WriteAsync(new Received(id, frame.Encoding, buffer, frame.Data.Length, length), consumerFailed.Token).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                expected++;
            }
        }
        catch (FrameStreamErrorException e)
        {
            readError = Damaged(e, files);
        }
        catch (Exception e)
        {
            readError = e;
        }

        channel.Writer.TryComplete();
        await consumer.ConfigureAwait(false);
        while (channel.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }

        if (consumerError is not null)
        {
            ExceptionDispatchInfo.Throw(consumerError);
        }

        if (readError is not null)
        {
            ExceptionDispatchInfo.Throw(readError);
        }

        if (state.Next != batch.Count)
        {
            throw new RemoteException($"{Server} sent {state.Next} of the {batch.Count} chunks asked for.");
        }
    }

    /// <summary>What the server's error frame means, naming the file the chunk belongs to: not a network failure, and not worth retrying.</summary>
    private RemoteException Damaged(FrameStreamErrorException e, List<FileManifest> files)
    {
        if (e.Code != ApiErrorCodes.Damaged)
        {
            return new RemoteException($"{Server} stopped sending chunks: {e.Message}", e);
        }

        var at = e.Message.IndexOf("is damaged", StringComparison.Ordinal);
        return DamagedChunk(e.Id, at < 0 ? "" : e.Message[(at + "is damaged".Length)..], files, e);
    }

    /// <summary>A chunk the server says it holds damaged, named with its file: not retried, since the server would send the same again.</summary>
    private RemoteException DamagedChunk(ObjectId id, string detail, List<FileManifest> files, Exception? inner)
    {
        var file = files.FirstOrDefault(f => f.Chunks.Any(c => c.Id == id));
        var name = file is null ? "a file" : describeFile?.Invoke(file.FileId) is { } path ? $"file {path}, {file.FileId.ToShortString()}" : $"file {file.FileId.ToShortString()}";
        var message = $"the server's copy of chunk {id.ToShortString()} ({name}) is damaged{detail}; not retried, since {Server} "
            + "would send the same again: ask its admin to repair the repository";
        return inner is null ? new RemoteException(message) : new RemoteException(message, inner);
    }

    /// <summary>One chunk frame handed from the receiving thread to the verifying one.</summary>
    private readonly record struct Received(ObjectId Id, ChunkEncoding Encoding, byte[] Buffer, int StoredLength, int RawLength);

    /// <summary>How far one download batch got: chunks before <see cref="Next"/> are verified and pending in the writer.</summary>
    private sealed class BatchState
    {
        public int Next { get; set; }
    }
}
