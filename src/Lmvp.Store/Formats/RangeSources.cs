using Lmvp.Store.Graph;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Store.Formats;

/// <summary>Random access to a file's bytes, wherever they are: a file on disk, or a stored file's chunks.</summary>
internal interface IRangeSource
{
    /// <summary>The file's length.</summary>
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; a range past the end is a <see cref="LayoutException"/>.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);
}

/// <summary>A file on disk read by position (the stream's position does not move); completes synchronously.</summary>
internal sealed class FileRangeSource(SafeFileHandle handle, long length) : IRangeSource
{
    public long Length => length;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset > length - destination.Length)
        {
            throw new LayoutException($"a header points past the end of the file (offset {offset}).");
        }

        var span = destination.Span;
        var total = 0;
        while (total < span.Length)
        {
            var n = RandomAccess.Read(handle, span[total..], offset + total);
            if (n == 0)
            {
                throw new LayoutException("the file is shorter than its size says (it changed while being read).");
            }

            total += n;
        }

        return default;
    }
}

/// <summary>A stored file read through its manifest: only the chunks a range touches are read (and verified).</summary>
/// <remarks>Header readers make many small reads close together, so the last few chunks read are kept.</remarks>
internal sealed class ChunkRangeSource : IRangeSource
{
    private const int CachedChunks = 4;

    private readonly IChunkSource _chunks;
    private readonly FileManifest _manifest;
    private readonly long[] _starts;
    private readonly List<(int Index, byte[] Bytes)> _cache = [];

    public ChunkRangeSource(IChunkSource chunks, FileManifest manifest)
    {
        _chunks = chunks;
        _manifest = manifest;
        _starts = ChunkStarts(manifest.Chunks);
    }

    public long Length => _manifest.Size;

    /// <summary>Bytes read from the chunk source so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The offset at which each chunk starts.</summary>
    public static long[] ChunkStarts(IReadOnlyList<ChunkRef> chunks)
    {
        var starts = new long[chunks.Count];
        long offset = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            starts[i] = offset;
            offset += chunks[i].Length;
        }

        return starts;
    }

    /// <summary>The index of the chunk holding <paramref name="offset"/> (which must be inside the file).</summary>
    public static int ChunkAt(long[] starts, long offset)
    {
        var i = Array.BinarySearch(starts, offset);
        return i >= 0 ? i : ~i - 1;
    }

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset > Length - destination.Length)
        {
            throw new LayoutException($"a header points past the end of the file (offset {offset}).");
        }

        var done = 0;
        while (done < destination.Length)
        {
            var at = offset + done;
            var index = ChunkAt(_starts, at);
            var bytes = await ChunkAsync(index, cancellationToken).ConfigureAwait(false);
            var within = (int)(at - _starts[index]);
            var n = Math.Min(bytes.Length - within, destination.Length - done);
            bytes.AsMemory(within, n).CopyTo(destination[done..]);
            done += n;
        }
    }

    private async ValueTask<byte[]> ChunkAsync(int index, CancellationToken cancellationToken)
    {
        foreach (var (i, bytes) in _cache)
        {
            if (i == index)
            {
                return bytes;
            }
        }

        byte[]? read = null;
        await foreach (var data in _chunks.ReadChunksAsync([_manifest.Chunks[index]], cancellationToken).ConfigureAwait(false))
        {
            read = data.ToArray();
        }

        if (read is null)
        {
            throw new ObjectNotFoundException($"Chunk {_manifest.Chunks[index].Id.ToShortString()} not found.");
        }

        BytesRead += read.Length;
        if (_cache.Count == CachedChunks)
        {
            _cache.RemoveAt(0);
        }

        _cache.Add((index, read));
        return read;
    }
}

/// <summary>Bytes held in memory (a file being chunked that was read whole, or a test's).</summary>
internal sealed class MemoryRangeSource(ReadOnlyMemory<byte> bytes) : IRangeSource
{
    public long Length => bytes.Length;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset > Length - destination.Length)
        {
            throw new LayoutException($"a header points past the end of the file (offset {offset}).");
        }

        bytes.Slice((int)offset, destination.Length).CopyTo(destination);
        return default;
    }
}
