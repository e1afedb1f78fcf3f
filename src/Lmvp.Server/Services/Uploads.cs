using System.Security.Cryptography;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Chunking;

namespace Lmvp.Server.Services;

/// <summary>How an upload request ended.</summary>
internal enum UploadStatus
{
    /// <summary>Done; the session is in the outcome.</summary>
    Ok,

    /// <summary>The request does not fit the session (past the declared size, a finished session).</summary>
    Invalid,

    /// <summary>The client's offset is not what the server holds (another request got there first, or a part was lost).</summary>
    OffsetMismatch,

    /// <summary>The bytes do not match the SHA-256 or size the client stated; nothing was kept.</summary>
    Mismatch,
}

/// <summary>The outcome of an upload request, with the one line that explains a refusal.</summary>
internal sealed record UploadOutcome(UploadStatus Status, UploadRecord? Upload, string Message = "", long NewChunks = 0, long NewBytes = 0);

/// <summary>Resumable whole-file uploads for clients that do not speak the chunk protocol (a notebook's standard-library Python):
/// bytes arrive in parts at stated offsets, then the server chunks the file with the CLI's own chunker, so a file uploaded over
/// HTTP and the same file committed by <c>lmvp</c> share every chunk.</summary>
/// <remarks>
/// Everything a session holds is in the metadata store (its offset and parts) and the blob store (the parts' bytes), so any
/// server sharing them can take the next part. A part is kept whole or not at all (an atomic blob put, then a conditional
/// append on the offset): a cut-off request leaves the offset where it was and the client resends that part. Finishing reads
/// the parts in order once, chunking, hashing (BLAKE3 per chunk and for the file id, SHA-256 for the client's check) and
/// packing in one pass; the chunks become visible only if the SHA-256 matches. Sessions expire a day after their last part.
/// </remarks>
internal sealed class Uploads(IUploadStore store, IBlobStore blobs, ChunkStore chunks, IObjectStore objects, FileDigests digests, TimeProvider time,
    ILogger<Uploads> log)
{
    /// <summary>The largest file accepted.</summary>
    public const long MaxFileBytes = 1L << 40;

    /// <summary>The largest part one request may carry.</summary>
    public const long MaxPartBytes = 256L << 20;

    /// <summary>How long a session lives after its last part.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    /// <summary>Starts a session for one file.</summary>
    public async Task<UploadRecord> CreateAsync(long repositoryId, long userId, long? declaredSize, CancellationToken cancellationToken)
    {
        await PurgeExpiredAsync(16, cancellationToken).ConfigureAwait(false);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return await store.CreateUploadAsync(id, repositoryId, userId, declaredSize, time.GetUtcNow() + Lifetime, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session if it exists, belongs to the repository and the user, and has not expired.</summary>
    public async Task<UploadRecord?> FindAsync(string uploadId, long repositoryId, long userId, CancellationToken cancellationToken)
    {
        if (uploadId.Length != 32 || !uploadId.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        var upload = await store.GetUploadAsync(uploadId, cancellationToken).ConfigureAwait(false);
        return upload is not null && upload.RepositoryId == repositoryId && upload.UserId == userId && upload.ExpiresAt > time.GetUtcNow() ? upload : null;
    }

    /// <summary>Stores the bytes of <paramref name="body"/> as the part at <paramref name="offset"/>.</summary>
    public async Task<UploadOutcome> AppendAsync(UploadRecord upload, long offset, Stream body, CancellationToken cancellationToken)
    {
        if (upload.IsFinished)
        {
            return new(UploadStatus.Invalid, upload, "the upload is finished; start a new one");
        }

        if (offset != upload.Received)
        {
            return new(UploadStatus.OffsetMismatch, upload, $"the server holds {upload.Received} bytes of this upload, not {offset}: resume at {upload.Received}");
        }

        var room = Math.Min(MaxPartBytes, (upload.DeclaredSize ?? MaxFileBytes) - offset);
        var blob = $"uploads/{upload.Id}/{offset:D16}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var counted = new BoundedReadStream(body, room);
        try
        {
            await blobs.PutScratchAsync(blob, counted, cancellationToken).ConfigureAwait(false);
        }
        catch (PartTooLargeException)
        {
            return new(UploadStatus.Invalid, upload, upload.DeclaredSize is { } size && offset + room < offset + MaxPartBytes
                ? $"the part goes past the {size} bytes declared for this file"
                : $"a part may hold at most {MaxPartBytes >> 20} MiB");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not BlobNotFoundException)
        {
            throw new StorageFailedException($"the server could not store the part ({e.Message.Split('\n')[0].TrimEnd('.')}); resend it", e);
        }

        if (counted.Count == 0)
        {
            await blobs.DeleteAsync(blob, CancellationToken.None).ConfigureAwait(false);
            return new(UploadStatus.Ok, upload);
        }

        var after = await store.AppendPartAsync(upload.Id, offset, counted.Count, blob, time.GetUtcNow() + Lifetime, CancellationToken.None).ConfigureAwait(false);
        if (after is null)
        {
            await blobs.DeleteAsync(blob, CancellationToken.None).ConfigureAwait(false);
            var now = await store.GetUploadAsync(upload.Id, CancellationToken.None).ConfigureAwait(false);
            return new(UploadStatus.OffsetMismatch, now, $"another request added bytes at {offset} first: resume at {now?.Received ?? 0}");
        }

        return new(UploadStatus.Ok, after);
    }

    /// <summary>Chunks and keeps the uploaded file if its bytes have the SHA-256 the client states.</summary>
    public async Task<UploadOutcome> FinishAsync(UploadRecord upload, byte[] sha256, CancellationToken cancellationToken)
    {
        if (upload.IsFinished)
        {
            return upload.Sha256.AsSpan().SequenceEqual(sha256)
                ? new(UploadStatus.Ok, upload)
                : new(UploadStatus.Mismatch, upload, $"the upload was finished as a file with SHA-256 {Convert.ToHexStringLower(upload.Sha256!)}, not {Convert.ToHexStringLower(sha256)}");
        }

        if (upload.DeclaredSize is { } declared && declared != upload.Received)
        {
            return new(UploadStatus.Invalid, upload, $"the server holds {upload.Received} of the {declared} bytes declared: send the rest first");
        }

        var parts = await store.ListPartsAsync(upload.Id, cancellationToken).ConfigureAwait(false);
        long expected = 0;
        foreach (var part in parts)
        {
            if (part.Start != expected)
            {
                throw new CorruptObjectException($"upload {upload.Id} has a gap at byte {expected}");
            }

            expected += part.Length;
        }

        if (expected != upload.Received)
        {
            throw new CorruptObjectException($"upload {upload.Id} holds parts of {expected} bytes, not {upload.Received}");
        }

        await using var batch = chunks.BeginBatch(upload.RepositoryId);
        FileManifest manifest;
        byte[] actual;
        long newChunks, newBytes;
        try
        {
            (manifest, actual, newChunks, newBytes) = await Task.Factory.StartNew(
                () => Chunk(upload, parts, batch, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BlobNotFoundException or CorruptObjectException)
        {
            // Parts are kept without flushing them to disk: a machine that crashed may have lost one.
            await DeleteAsync(upload, CancellationToken.None).ConfigureAwait(false);
            return new(UploadStatus.Mismatch, null, "the server lost part of this upload (did it restart?); nothing was kept: upload the file again");
        }

        if (!actual.AsSpan().SequenceEqual(sha256))
        {
            await DeleteAsync(upload, CancellationToken.None).ConfigureAwait(false);
            return new(UploadStatus.Mismatch, null, $"the uploaded bytes have SHA-256 {Convert.ToHexStringLower(actual)}, not {Convert.ToHexStringLower(sha256)} "
                + "as stated: nothing was kept; upload the file again");
        }

        await batch.CommitAsync(cancellationToken).ConfigureAwait(false);
        await objects.PutObjectsAsync(upload.RepositoryId, One(new MetadataObject(manifest.FileId, ObjectKind.Manifest, manifest.Encode())), CancellationToken.None)
            .ConfigureAwait(false);
        await digests.RecordAsync(manifest.FileId, actual, CancellationToken.None).ConfigureAwait(false);
        await store.FinishUploadAsync(upload.Id, upload.Received, manifest.FileId, actual, CancellationToken.None).ConfigureAwait(false);
        foreach (var part in parts)
        {
            await blobs.DeleteAsync(part.Blob, CancellationToken.None).ConfigureAwait(false);
        }

        return new(UploadStatus.Ok, upload with { FileId = manifest.FileId, Sha256 = actual }, NewChunks: newChunks, NewBytes: newBytes);
    }

    /// <summary>Ends a session and deletes what it holds.</summary>
    public async Task DeleteAsync(UploadRecord upload, CancellationToken cancellationToken)
    {
        foreach (var part in await store.ListPartsAsync(upload.Id, cancellationToken).ConfigureAwait(false))
        {
            await blobs.DeleteAsync(part.Blob, cancellationToken).ConfigureAwait(false);
        }

        await store.DeleteUploadAsync(upload.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes up to <paramref name="limit"/> expired sessions; returns how many.</summary>
    public async Task<int> PurgeExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        var expired = await store.ListExpiredUploadsAsync(time.GetUtcNow(), limit, cancellationToken).ConfigureAwait(false);
        foreach (var upload in expired)
        {
            await DeleteAsync(upload, cancellationToken).ConfigureAwait(false);
        }

        if (expired.Count > 0)
        {
            log.LogInformation("Deleted {Count} expired upload sessions.", expired.Count);
        }

        return expired.Count;
    }

    /// <summary>One pass over the parts: chunks go to the batch (those the repository lacks), the SHA-256 is taken on the way.</summary>
    private (FileManifest Manifest, byte[] Sha256, long NewChunks, long NewBytes) Chunk(UploadRecord upload, IReadOnlyList<UploadPart> parts,
        ChunkStore.ChunkBatch batch, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var source = new UploadPartsStream(blobs, parts, sha, cancellationToken);
        long newChunks = 0, newBytes = 0;
        var manifest = new ContentChunker().Chunk(source, upload.Received, (refs, data) =>
        {
            // Ask the index about a batch at once; keep only what the repository lacks, as a push would send.
            var ids = new ObjectId[refs.Length];
            for (var i = 0; i < refs.Length; i++)
            {
                ids[i] = refs[i].Id;
            }

            var missing = chunks.FindMissingAsync(upload.RepositoryId, ids, cancellationToken).GetAwaiter().GetResult().ToHashSet();
            var offset = 0;
            foreach (var chunk in refs)
            {
                if (missing.Contains(chunk.Id) && batch.Add(chunk.Id, data.Slice(offset, chunk.Length)))
                {
                    newChunks++;
                    newBytes += chunk.Length;
                }

                offset += chunk.Length;
            }
        }, cancellationToken: cancellationToken);
        return (manifest, sha.GetHashAndReset(), newChunks, newBytes);
    }

    private static async IAsyncEnumerable<MetadataObject> One(MetadataObject o)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield return o;
    }

    /// <summary>A part larger than it may be.</summary>
    private sealed class PartTooLargeException : IOException;

    /// <summary>Passes a request body through, counting it, and fails once it passes the bytes allowed.</summary>
    private sealed class BoundedReadStream(Stream inner, long limit) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int n)
        {
            Count += n;
            return Count > limit ? throw new PartTooLargeException() : n;
        }
    }
}
