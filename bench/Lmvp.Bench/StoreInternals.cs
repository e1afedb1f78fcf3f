using Lmvp.Store;
using Lmvp.Store.Chunking;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;

namespace Lmvp.Bench;

/// <summary>Every use the bench makes of the store's internal types, in one place, for the stage-by-stage profiles.</summary>
/// <remarks>When the store's internals change shape, this is the one file to adjust.</remarks>
internal static class StoreInternals
{
    /// <summary>Cuts a whole in-memory buffer into chunks; returns how many.</summary>
    public static int ChunkAll(ReadOnlySpan<byte> data, List<int>? lengths = null)
    {
        var chunker = Chunker.Default;
        var count = 0;
        var pos = 0;
        while (pos < data.Length)
        {
            var len = chunker.NextChunkLength(data[pos..], isFinal: true);
            lengths?.Add(len);
            pos += len;
            count++;
        }

        return count;
    }

    /// <summary>Reads, chunks and hashes a file through the commit pipeline, discarding the chunks (no pack writes).</summary>
    public static int PipelineOnly(string path)
    {
        using var stream = OpenForCommit(path);
        return new FileChunker().Chunk(stream, path, new DiscardingSink()).Manifest.Chunks.Count;
    }

    /// <summary>Runs the commit pipeline into a repository's pack writer, then publishes; returns (pipeline + pack writes, publish) durations.</summary>
    /// <remarks>This is what <see cref="Repository.Commit"/> does for one new file, without the scan, tree and ref work.</remarks>
    public static (TimeSpan Write, TimeSpan Publish, long StoredBytes) PipelineIntoPacks(Repository repository, string path)
    {
        using var writer = new ObjectWriter(repository.Store);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var stream = OpenForCommit(path))
        {
            writer.BeginFile();
            _ = new FileChunker().Chunk(stream, path, writer);
        }

        var write = clock.Elapsed;
        writer.Publish(null);
        return (write, clock.Elapsed - write, writer.NewStoredBytes);
    }

    /// <summary>Reads and verifies every chunk of a committed file without writing anything; returns bytes read.</summary>
    public static long ReadAndVerifyChunks(Repository repository, ObjectId fileId)
    {
        var store = repository.Store;
        var manifest = store.GetManifest(fileId);
        var buffer = new byte[ChunkerParameters.Default.MaxSize];
        long total = 0;
        foreach (var chunk in manifest.Chunks)
        {
            if (!store.Database.TryGetChunk(chunk.Id, out ChunkLocation location))
            {
                throw new InvalidOperationException($"chunk {chunk.Id} is not indexed");
            }

            store.ReadChunk(chunk.Id, location, buffer.AsSpan(0, chunk.Length));
            total += chunk.Length;
        }

        return total;
    }

    /// <summary>How a model file is cut: without format readers (plain content-defined chunking), with tensor-aligned cuts and
    /// content-defined chunks inside tensors, or with tensor-aligned cuts and fixed pieces inside (what commits do).</summary>
    public enum Cutting
    {
        PlainCdc,
        TensorCutsCdcInside,
        TensorCutsFixedPieces,
    }

    /// <summary>Chunks a file the given way, discarding the bytes; returns its chunks.</summary>
    public static IReadOnlyList<ChunkRef> ChunkWith(string path, Cutting cutting)
    {
        var chunker = cutting switch
        {
            Cutting.PlainCdc => new FileChunker { ReadLayouts = false },
            Cutting.TensorCutsCdcInside => new FileChunker { PieceSize = 0 },
            _ => new FileChunker(),
        };
        using var stream = OpenForCommit(path);
        return chunker.Chunk(stream, path, new DiscardingSink()).Manifest.Chunks;
    }

    /// <summary>Opens a file the way the commit does (sequential, unbuffered by .NET).</summary>
    public static FileStream OpenForCommit(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        Options = FileOptions.SequentialScan,
        BufferSize = 0,
    });

    private sealed class DiscardingSink : IChunkSink
    {
        public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<Lmvp.Store.Codecs.ElementKind> kinds, ReadOnlySpan<byte> data)
        {
        }
    }
}
