using System.Collections.Concurrent;
using System.Security.Cryptography;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;

namespace Lmvp.Server.Services;

/// <summary>The SHA-256 of stored files, which HTTP clients check downloads against: computed once per file id (reading the file
/// verified, chunk by chunk) and kept in the metadata store. A file uploaded over the API has its digest recorded as it arrives.</summary>
/// <remarks>Concurrent requests for the same unknown digest share one computation.</remarks>
internal sealed class FileDigests(IFileDigestStore store)
{
    private const int ReadBuffer = 1 << 20;

    private readonly ConcurrentDictionary<ObjectId, Lazy<Task<byte[]>>> _running = new();

    /// <summary>The known digests of <paramref name="fileIds"/> (none computed).</summary>
    public Task<IReadOnlyDictionary<ObjectId, byte[]>> GetKnownAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken) =>
        store.GetDigestsAsync(fileIds, cancellationToken);

    /// <summary>The digest of a file of <paramref name="graph"/>, computed now if it is not known.</summary>
    /// <exception cref="ObjectNotFoundException">The repository lacks the file's manifest.</exception>
    /// <exception cref="CorruptObjectException">A chunk does not hash to its id.</exception>
    public async Task<byte[]> GetAsync(RepositoryGraph graph, ObjectId fileId, CancellationToken cancellationToken)
    {
        var known = await store.GetDigestsAsync([fileId], cancellationToken).ConfigureAwait(false);
        if (known.TryGetValue(fileId, out var digest))
        {
            return digest;
        }

        // The computation belongs to no single request: one caller giving up must not fail the others waiting on it.
        var lazy = _running.GetOrAdd(fileId, id => new Lazy<Task<byte[]>>(() => ComputeAsync(graph, id)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (lazy.Value.IsCompleted)
            {
                _running.TryRemove(new KeyValuePair<ObjectId, Lazy<Task<byte[]>>>(fileId, lazy));
            }
        }
    }

    /// <summary>Records the digest of a file whose bytes the caller hashed as they arrived.</summary>
    public Task RecordAsync(ObjectId fileId, byte[] sha256, CancellationToken cancellationToken) => store.PutDigestAsync(fileId, sha256, cancellationToken);

    /// <summary>The digest as a Repr-Digest / Content-Digest field value (RFC 9530): <c>sha-256=:base64:</c>.</summary>
    public static string ToHeader(byte[] sha256) => "sha-256=:" + Convert.ToBase64String(sha256) + ":";

    private async Task<byte[]> ComputeAsync(RepositoryGraph graph, ObjectId fileId)
    {
        var manifest = await graph.FindManifestAsync(fileId, CancellationToken.None).ConfigureAwait(false)
            ?? throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ServerBuffers.Pool.Rent(ReadBuffer);
        try
        {
            await using var stream = new VerifiedFileStream(graph, manifest, CancellationToken.None);
            int n;
            while ((n = await stream.ReadAsync(buffer.AsMemory(0, ReadBuffer), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, n);
            }
        }
        finally
        {
            ServerBuffers.Pool.Return(buffer);
        }

        var digest = sha.GetHashAndReset();
        await store.PutDigestAsync(fileId, digest, CancellationToken.None).ConfigureAwait(false);
        return digest;
    }
}
