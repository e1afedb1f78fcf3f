using System.Collections;
using Lmvp.Store;

namespace Lmvp.Server.Services;

/// <summary>Read-only lists of ids that copy nothing: the chunks of manifests, and a range of another list.</summary>
/// <remarks>
/// A push's last checks walk every chunk id of the pushed files in batches; copies of those ids (32 bytes each, 32,801 for a 2 GiB
/// file) were large-object garbage the moment the check ended, and a peak of the server's memory.
/// </remarks>
internal static class IdViews
{
    /// <summary>The chunk ids of <paramref name="files"/>, file after file, in manifest order.</summary>
    public static IReadOnlyList<ObjectId> ChunksOf(IReadOnlyList<FileManifest> files) =>
        files.Count == 1 ? new ChunkIds(files[0].Chunks) : new ManyFilesChunkIds(files);

    /// <summary>Items <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> of <paramref name="ids"/>.</summary>
    public static IReadOnlyList<ObjectId> Range(IReadOnlyList<ObjectId> ids, int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, ids.Count);
        return start == 0 && count == ids.Count ? ids : new IdRange(ids, start, count);
    }

    private abstract class View : IReadOnlyList<ObjectId>
    {
        public abstract int Count { get; }

        public abstract ObjectId this[int index] { get; }

        public IEnumerator<ObjectId> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ChunkIds(IReadOnlyList<ChunkRef> chunks) : View
    {
        public override int Count => chunks.Count;

        public override ObjectId this[int index] => chunks[index].Id;
    }

    private sealed class ManyFilesChunkIds : View
    {
        private readonly IReadOnlyList<FileManifest> _files;

        // _starts[i] is the index of file i's first chunk; one more entry holds the total.
        private readonly int[] _starts;

        public ManyFilesChunkIds(IReadOnlyList<FileManifest> files)
        {
            _files = files;
            _starts = new int[files.Count + 1];
            for (var i = 0; i < files.Count; i++)
            {
                _starts[i + 1] = checked(_starts[i] + files[i].Chunks.Count);
            }
        }

        public override int Count => _starts[^1];

        public override ObjectId this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);

                // The last file whose first chunk is at or before index (files without chunks share a start with the next).
                var file = Array.BinarySearch(_starts, index);
                if (file < 0)
                {
                    file = ~file - 1;
                }
                else
                {
                    while (_starts[file + 1] == index)
                    {
                        file++;
                    }
                }

                return _files[file].Chunks[index - _starts[file]].Id;
            }
        }
    }

    private sealed class IdRange(IReadOnlyList<ObjectId> ids, int start, int count) : View
    {
        public override int Count => count;

        public override ObjectId this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
                return ids[start + index];
            }
        }
    }
}
