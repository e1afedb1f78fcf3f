using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Protocol;

namespace Lmvp.Server.Services;

/// <summary>A file that does not verify, and why.</summary>
/// <param name="FileId">The file.</param>
/// <param name="Problem">One line: a chunk it lists that the server lacks, or what its chunks hash to instead.</param>
/// <param name="ChunkMissing">True when a chunk is missing (sending it may help), false when the file's chunks are all there and wrong.</param>
internal sealed record FileProblem(ObjectId FileId, string Problem, bool ChunkMissing);

/// <summary>Checks that files are what their manifests claim: every chunk present with the length listed, and all of them, in
/// order, hashing to the file id. A manifest is accepted, reached by a ref or served only after this; a verified one is marked
/// complete in the object store so it is never checked again.</summary>
/// <remarks>
/// Files are checked in groups that share one chunk lookup and one stream of range reads, so a push of many small files costs a
/// few queries, not a few per file. Chunks are read without their own hash check, since the file hash covers every byte;
/// only when a file does not match are its chunks read again verified, to tell damaged storage (<see cref="DamagedDataException"/>)
/// from a manifest that lies.
/// </remarks>
internal sealed class FileVerifier(ChunkStore chunks, IObjectStore objects)
{
    /// <summary>Chunks checked for presence and read in one group (a larger file is a group of its own).</summary>
    private const int GroupChunks = ProtocolLimits.MaxIdsPerRequest;

    /// <summary>The first of <paramref name="files"/> that does not verify, or null when all do; with <paramref name="mark"/>, those that do
    /// are marked complete (a caller that stores the manifests only afterwards marks them itself).</summary>
    /// <exception cref="DamagedDataException">The server's copy of a chunk is damaged.</exception>
    public async Task<FileProblem?> VerifyAsync(long repositoryId, IReadOnlyList<FileManifest> files, bool mark, CancellationToken cancellationToken)
    {
        var group = new List<FileManifest>();
        var groupChunks = 0;
        foreach (var file in files)
        {
            if (group.Count > 0 && groupChunks + file.Chunks.Count > GroupChunks)
            {
                if (await VerifyGroupAsync(repositoryId, group, mark, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    return problem;
                }

                group.Clear();
                groupChunks = 0;
            }

            group.Add(file);
            groupChunks += file.Chunks.Count;
        }

        return group.Count == 0 ? null : await VerifyGroupAsync(repositoryId, group, mark, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Verifies <paramref name="file"/> unless it is marked complete already; null when it is good.</summary>
    public async Task<FileProblem?> VerifyOnceAsync(long repositoryId, FileManifest file, CancellationToken cancellationToken) =>
        await objects.IsCompleteAsync(repositoryId, file.FileId, cancellationToken).ConfigureAwait(false)
            ? null
            : await VerifyAsync(repositoryId, [file], mark: true, cancellationToken).ConfigureAwait(false);

    private async Task<FileProblem?> VerifyGroupAsync(long repositoryId, List<FileManifest> files, bool mark, CancellationToken cancellationToken)
    {
        var order = IdViews.ChunksOf(files);
        for (var start = 0; start < order.Count; start += ProtocolLimits.MaxIdsPerRequest)
        {
            var batch = IdViews.Range(order, start, Math.Min(ProtocolLimits.MaxIdsPerRequest, order.Count - start));
            var missing = await chunks.FindMissingAsync(repositoryId, batch, cancellationToken).ConfigureAwait(false);
            if (missing.Count > 0)
            {
                var file = files.First(f => f.Chunks.Any(c => c.Id == missing[0]));
                return new FileProblem(file.FileId, $"its chunk {missing[0]} is not on the server (chunks are sent before the manifests that list them)", true);
            }
        }

        var verified = new List<ObjectId>(files.Count);
        var fileIndex = 0;
        var chunkIndex = 0;
        var hasher = Blake3.Hasher.New();
        try
        {
            await foreach (var chunk in chunks.ReadManyAsync(repositoryId, order, verify: false, cancellationToken).ConfigureAwait(false))
            {
                // Files without chunks (empty files) are finished before the next chunk is hashed.
                while (chunkIndex == files[fileIndex].Chunks.Count)
                {
                    if (await FinishAsync(repositoryId, files[fileIndex], hasher, cancellationToken).ConfigureAwait(false) is { } bad)
                    {
                        return bad;
                    }

                    verified.Add(files[fileIndex].FileId);
                    hasher.Dispose();
                    hasher = Blake3.Hasher.New();
                    fileIndex++;
                    chunkIndex = 0;
                }

                var listed = files[fileIndex].Chunks[chunkIndex];
                if (chunk.Data.Length != listed.Length)
                {
                    return new FileProblem(files[fileIndex].FileId,
                        $"its chunk {listed.Id} is {chunk.Data.Length} bytes on the server, but the manifest lists it as {listed.Length}", false);
                }

                hasher.Update(chunk.Data.Span);
                chunkIndex++;
            }

            for (; fileIndex < files.Count; fileIndex++)
            {
                if (await FinishAsync(repositoryId, files[fileIndex], hasher, cancellationToken).ConfigureAwait(false) is { } bad)
                {
                    return bad;
                }

                verified.Add(files[fileIndex].FileId);
                hasher.Dispose();
                hasher = Blake3.Hasher.New();
            }
        }
        finally
        {
            hasher.Dispose();
        }

        if (mark)
        {
            await objects.MarkCompleteAsync(repositoryId, verified, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Compares a file's hash with its id; on a mismatch, reads its chunks again verified, so damage on the server's side is
    /// reported as that.</summary>
    private async Task<FileProblem?> FinishAsync(long repositoryId, FileManifest file, Blake3.Hasher hasher, CancellationToken cancellationToken)
    {
        Span<byte> hash = stackalloc byte[ObjectId.Size];
        hasher.Finalize(hash);
        var actual = new ObjectId(hash);
        if (actual == file.FileId)
        {
            return null;
        }

        await foreach (var _ in chunks.ReadManyAsync(repositoryId, [.. file.Chunks.Select(c => c.Id)], verify: true, cancellationToken).ConfigureAwait(false))
        {
        }

        return new FileProblem(file.FileId, $"its chunks hash to {actual}, not to its id", false);
    }
}
