using Lmvp.Store.Formats;

namespace Lmvp.Store
{
    /// <summary>How one tensor differs between two versions of a file.</summary>
    public enum TensorChange
    {
        /// <summary>Only the newer version has it.</summary>
        Added,

        /// <summary>Only the older version has it.</summary>
        Removed,

        /// <summary>Both have it, and its dtype, shape or bytes differ (bytes are compared by chunk id).</summary>
        Changed,

        /// <summary>Both have it with the same dtype, shape and chunks, so the same bytes.</summary>
        Unchanged,
    }

    /// <summary>One tensor of a file compared across two versions.</summary>
    /// <param name="Name">The tensor's name.</param>
    /// <param name="Change">What happened to it.</param>
    /// <param name="Old">The tensor in the older version, or null when added.</param>
    /// <param name="New">The tensor in the newer version, or null when removed.</param>
    /// <param name="BytesDiffering">Bytes of the newer tensor in chunks the older tensor does not have (all of it when added or
    /// its dtype or shape changed; 0 when unchanged).</param>
    public sealed record TensorDiff(string Name, TensorChange Change, TensorInfo? Old, TensorInfo? New, long BytesDiffering);

    /// <summary>The tensors of one file compared across two versions.</summary>
    /// <param name="Path">The file's path.</param>
    /// <param name="OldFormat">The older version's format, or null when it is absent or not a model file.</param>
    /// <param name="NewFormat">The newer version's format, or null when it is absent or not a model file.</param>
    /// <param name="Tensors">Every tensor of either version: the newer version's in file order, then the removed ones.</param>
    public sealed record FileTensorDiff(string Path, string? OldFormat, string? NewFormat, IReadOnlyList<TensorDiff> Tensors)
    {
        /// <summary>How many tensors had <paramref name="change"/>.</summary>
        public int Count(TensorChange change) => Tensors.Count(t => t.Change == change);

        /// <summary>Bytes of the newer version's tensors that differ.</summary>
        public long BytesDiffering => Tensors.Sum(t => t.BytesDiffering);
    }
}

namespace Lmvp.Store.Graph
{
    /// <summary>Tensor-level views of stored model files, from their headers and chunk ids alone: which tensors a file holds,
    /// and which changed between two versions, without reading tensor bytes.</summary>
    /// <remarks>A file's layout comes from its format's header, read through the few chunks that hold it (a verified read).
    /// A tensor is unchanged when both versions cover it with the same chunk ids at the same offsets within them: equal ids mean
    /// equal bytes. Files are cut at tensor boundaries when committed, so each tensor has chunks of its own; for a file stored
    /// before that, a chunk shared with a changed neighbour makes a tensor count as changed.</remarks>
    public static class TensorDiffer
    {
        /// <summary>The tensor layout of a stored file, or null when it is not a model file this library reads (or its header is malformed).</summary>
        /// <param name="objects">Where the file's manifest is.</param>
        /// <param name="chunks">Where its chunks are (only those holding headers are read).</param>
        /// <param name="fileId">The file.</param>
        /// <param name="path">Its path (an ONNX file is recognized by its extension).</param>
        /// <param name="cancellationToken">Stops the read.</param>
        public static async ValueTask<TensorLayout?> ReadLayoutAsync(IObjectSource objects, IChunkSource chunks, ObjectId fileId, string path,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(objects);
            ArgumentNullException.ThrowIfNull(chunks);
            var manifest = await objects.FindManifestAsync(fileId, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");
            return await ModelFormats.TryReadAsync(new ChunkRangeSource(chunks, manifest), path, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The tensor comparison of every changed file (as <see cref="SnapshotDiffer"/> lists them) that is a model file in either version.</summary>
        /// <param name="objects">Where the manifests are.</param>
        /// <param name="chunks">Where the header chunks are.</param>
        /// <param name="files">The changed files.</param>
        /// <param name="cancellationToken">Stops between files.</param>
        public static async ValueTask<IReadOnlyList<FileTensorDiff>> CompareFilesAsync(IObjectSource objects, IChunkSource chunks, IEnumerable<FileDiff> files,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(objects);
            ArgumentNullException.ThrowIfNull(chunks);
            ArgumentNullException.ThrowIfNull(files);
            var result = new List<FileTensorDiff>();
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (oldLayout, oldChunks) = await SideAsync(objects, chunks, file.Path, file.Old, cancellationToken).ConfigureAwait(false);
                var (newLayout, newChunks) = await SideAsync(objects, chunks, file.Path, file.New, cancellationToken).ConfigureAwait(false);
                if (Compare(file.Path, oldLayout, oldChunks, newLayout, newChunks) is { } diff)
                {
                    result.Add(diff);
                }
            }

            return result;
        }

        /// <summary>The comparison of two versions of a file, each given by its layout (null: absent or not a model file) and its
        /// chunks; null when neither is a model file.</summary>
        /// <param name="path">The file's path.</param>
        /// <param name="oldLayout">The older version's layout.</param>
        /// <param name="oldChunks">The older version's chunks (its manifest), or null when absent.</param>
        /// <param name="newLayout">The newer version's layout.</param>
        /// <param name="newChunks">The newer version's chunks, or null when absent.</param>
        public static FileTensorDiff? Compare(string path, TensorLayout? oldLayout, IReadOnlyList<ChunkRef>? oldChunks, TensorLayout? newLayout,
            IReadOnlyList<ChunkRef>? newChunks)
        {
            ArgumentNullException.ThrowIfNull(path);
            if (oldLayout is null && newLayout is null)
            {
                return null;
            }

            var oldTensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            foreach (var t in oldLayout?.Tensors ?? [])
            {
                oldTensors.TryAdd(t.Name, t);
            }

            var oldCover = new Cover(oldChunks ?? []);
            var newCover = new Cover(newChunks ?? []);
            var diffs = new List<TensorDiff>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in newLayout?.Tensors ?? [])
            {
                if (!seen.Add(t.Name))
                {
                    continue;
                }

                if (!oldTensors.TryGetValue(t.Name, out var before))
                {
                    diffs.Add(new TensorDiff(t.Name, TensorChange.Added, null, t, t.Length));
                    continue;
                }

                if (before.DType != t.DType || !before.Shape.SequenceEqual(t.Shape) || before.Length != t.Length)
                {
                    diffs.Add(new TensorDiff(t.Name, TensorChange.Changed, before, t, t.Length));
                    continue;
                }

                var differing = newCover.BytesNotIn(t, oldCover, before);
                diffs.Add(new TensorDiff(t.Name, differing == 0 && newCover.SameChunks(t, oldCover, before) ? TensorChange.Unchanged : TensorChange.Changed,
                    before, t, differing));
            }

            foreach (var t in oldLayout?.Tensors ?? [])
            {
                if (seen.Add(t.Name))
                {
                    diffs.Add(new TensorDiff(t.Name, TensorChange.Removed, t, null, 0));
                }
            }

            return new FileTensorDiff(path, oldLayout?.Format, newLayout?.Format, diffs);
        }

        private static async ValueTask<(TensorLayout? Layout, IReadOnlyList<ChunkRef>? Chunks)> SideAsync(IObjectSource objects, IChunkSource chunks, string path,
            TreeEntry? entry, CancellationToken cancellationToken)
        {
            if (entry is null || entry.Kind != TreeEntryKind.File)
            {
                return (null, null);
            }

            var manifest = await objects.FindManifestAsync(entry.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException($"File {entry.Id.ToShortString()} not found.");
            var layout = await ModelFormats.TryReadAsync(new ChunkRangeSource(chunks, manifest), path, cancellationToken).ConfigureAwait(false);
            return (layout, manifest.Chunks);
        }

        /// <summary>Which chunks cover a byte range of one version of a file.</summary>
        private sealed class Cover(IReadOnlyList<ChunkRef> chunks)
        {
            private readonly long[] _starts = ChunkRangeSource.ChunkStarts(chunks);

            /// <summary>The chunks over [offset, offset + length): index range, and the tensor's offset within the first.</summary>
            public (int First, int End, long Phase) Range(long offset, long length)
            {
                if (length == 0 || _starts.Length == 0)
                {
                    return (0, 0, 0);
                }

                var first = ChunkRangeSource.ChunkAt(_starts, offset);
                var last = ChunkRangeSource.ChunkAt(_starts, offset + length - 1);
                return (first, last + 1, offset - _starts[first]);
            }

            /// <summary>True when <paramref name="t"/> here and <paramref name="before"/> in <paramref name="old"/> lie at the same
            /// offsets within the same chunk ids: then their bytes are equal.</summary>
            public bool SameChunks(TensorInfo t, Cover old, TensorInfo before)
            {
                var (first, end, phase) = Range(t.Offset, t.Length);
                var (oldFirst, oldEnd, oldPhase) = old.Range(before.Offset, before.Length);
                if (end - first != oldEnd - oldFirst || phase != oldPhase)
                {
                    return false;
                }

                for (var i = 0; i < end - first; i++)
                {
                    if (chunks[first + i].Id != old.ChunkId(oldFirst + i))
                    {
                        return false;
                    }
                }

                return true;
            }

            /// <summary>Bytes of <paramref name="t"/> in chunks that <paramref name="before"/>'s chunks in <paramref name="old"/> do not include.</summary>
            public long BytesNotIn(TensorInfo t, Cover old, TensorInfo before)
            {
                var (oldFirst, oldEnd, _) = old.Range(before.Offset, before.Length);
                var known = new HashSet<ObjectId>();
                for (var i = oldFirst; i < oldEnd; i++)
                {
                    known.Add(old.ChunkId(i));
                }

                var (first, end, _) = Range(t.Offset, t.Length);
                long differing = 0;
                for (var i = first; i < end; i++)
                {
                    if (!known.Contains(chunks[i].Id))
                    {
                        var start = Math.Max(_starts[i], t.Offset);
                        var stop = Math.Min(_starts[i] + chunks[i].Length, t.Offset + t.Length);
                        differing += stop - start;
                    }
                }

                return differing;
            }

            private ObjectId ChunkId(int index) => chunks[index].Id;
        }
    }
}
