namespace Lmvp.Server.Storage;

/// <summary>Immutable named blobs (pack files): the byte seam under the chunk store, filled by a local directory or an
/// S3-compatible bucket.</summary>
/// <remarks>
/// What every provider guarantees, and what the contract suite checks:
/// <list type="bullet">
/// <item>Atomic put: a blob is visible whole or not at all. A put that fails or is cancelled leaves no blob and no part of one.</item>
/// <item>Read-after-write: once <see cref="PutAsync"/> returns, every read and listing sees the blob.</item>
/// <item>A put under an existing name replaces the blob whole (last writer wins); readers see the old or the new bytes, never a mix.</item>
/// <item>Reads may return fewer bytes than asked, as <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> may; 0 means the end.</item>
/// <item>Names are relative paths of [A-Za-z0-9._-] segments joined by '/'; listing is by prefix, in name order.</item>
/// </list>
/// Formats and indexes live above this seam, never inside a provider.
/// </remarks>
internal interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> (from its position to its end) as blob <paramref name="name"/>.</summary>
    Task PutAsync(string name, Stream content, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="destination"/>'s length from <paramref name="offset"/>; 0 at or past the end.</summary>
    /// <exception cref="BlobNotFoundException">There is no such blob.</exception>
    Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>The most chunk bytes one range read of the chunk store should cover: long runs for a store that pays per request (a
    /// bucket: 7 MiB, so that with the gaps read through a run's buffer is usually one of 8 MiB, not 16); a local file pays a system
    /// call per read, and the buffer a run is read into is held while its chunks are served.</summary>
    int RunBytes => 7 << 20;

    /// <summary>The blob's length, or null when there is no such blob.</summary>
    Task<long?> GetLengthAsync(string name, CancellationToken cancellationToken);

    /// <summary>The blobs whose name starts with <paramref name="prefix"/>, in name order.</summary>
    IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes a blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores a blob that need not survive a crash of the machine (an upload's parts: a part lost is sent again); a
    /// provider may skip flushing it to disk. Atomic and visible after it returns, as <see cref="PutAsync"/>.</summary>
    Task PutScratchAsync(string name, Stream content, CancellationToken cancellationToken) => PutAsync(name, content, cancellationToken);

    /// <summary>Stores the local file <paramref name="path"/> (a finished spool) as blob <paramref name="name"/> and deletes the
    /// file; a provider on the same file system moves it into place instead of copying it.</summary>
    async Task PutFileAsync(string name, string path, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            await PutAsync(name, file, cancellationToken).ConfigureAwait(false);
        }

        File.Delete(path);
    }
}

/// <summary>A blob in a listing.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Length">Its length in bytes.</param>
internal sealed record BlobInfo(string Name, long Length);

/// <summary>A blob that was asked for does not exist.</summary>
internal sealed class BlobNotFoundException : IOException
{
    public BlobNotFoundException(string message) : base(message) { }

    public BlobNotFoundException() { }

    public BlobNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Reads that fill their buffer, over a store that may return short reads.</summary>
internal static class BlobReads
{
    /// <summary>Reads exactly <paramref name="destination"/>'s length from <paramref name="offset"/>, or throws when the blob ends first.</summary>
    public static async Task ReadExactlyAsync(this IBlobStore store, string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = await store.ReadAsync(name, offset + total, destination[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Lmvp.Store.CorruptObjectException($"Blob {name} ends at {offset + total}, before the {destination.Length} bytes asked at {offset}.");
            }

            total += n;
        }
    }
}

/// <summary>A storage backend failed (an I/O error, a full disk, an object store that did not answer); the request that met it
/// changed nothing and may be tried again.</summary>
internal sealed class StorageFailedException : Exception
{
    public StorageFailedException(string message) : base(message) { }

    public StorageFailedException() { }

    public StorageFailedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>True when the storage is full (trying again cannot succeed until space is freed).</summary>
    public bool IsFull => StorageErrors.IsFull(this);
}

/// <summary>Recognizes a full storage behind whatever exception reports it: a file system with no space or quota left, SQLite's
/// SQLITE_FULL, PostgreSQL's disk_full.</summary>
internal static class StorageErrors
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT
    private const int SqliteFull = 13;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions says the storage is full.</summary>
    public static bool IsFull(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case IOException io when (io.HResult & 0xFFFF) is NoSpace or QuotaExceeded
                    || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                    || io.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase):
                case Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteFull }:
                case System.Data.Common.DbException { SqlState: "53100" }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The first line of the innermost message, for a one-line answer.</summary>
    public static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message.Split('\n', 2)[0].Trim().TrimEnd('.');
    }
}
