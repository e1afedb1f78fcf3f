namespace Lmvp.Store
{
    /// <summary>How one file differs between two snapshots.</summary>
    /// <param name="Path">Slash-separated path.</param>
    /// <param name="Old">The entry before, or null when added.</param>
    /// <param name="New">The entry after, or null when deleted.</param>
    /// <param name="BytesDiffering">Bytes in chunks of the new file that the old file does not have (the whole size when added or deleted).</param>
    public sealed record FileDiff(string Path, TreeEntry? Old, TreeEntry? New, long BytesDiffering)
    {
        /// <summary>Added, modified or deleted.</summary>
        public FileChangeKind Change => Old is null ? FileChangeKind.Added : New is null ? FileChangeKind.Deleted : FileChangeKind.Modified;

        /// <summary>Size before (0 when added).</summary>
        public long OldSize => Old?.Size ?? 0;

        /// <summary>Size after (0 when deleted).</summary>
        public long NewSize => New?.Size ?? 0;

        /// <summary>New size minus old size.</summary>
        public long SizeDelta => NewSize - OldSize;
    }

    /// <summary>How one metric differs; null where a side lacks it.</summary>
    /// <param name="Name">The metric.</param>
    /// <param name="Old">Its value before.</param>
    /// <param name="New">Its value after.</param>
    public sealed record MetricDelta(string Name, double? Old, double? New)
    {
        /// <summary>New minus old, when both exist.</summary>
        public double? Delta => Old is { } o && New is { } n ? n - o : null;
    }

    /// <summary>How one param differs; null where a side lacks it.</summary>
    /// <param name="Name">The param.</param>
    /// <param name="Old">Its value before.</param>
    /// <param name="New">Its value after.</param>
    public sealed record ParamChange(string Name, ParamValue? Old, ParamValue? New);

    /// <summary>The difference between two snapshots.</summary>
    /// <param name="Files">Files that differ, by path.</param>
    /// <param name="Metrics">Metrics that differ, by name.</param>
    /// <param name="Tensors">For each differing model file, its tensors compared; null unless asked for.</param>
    public sealed record SnapshotDiff(IReadOnlyList<FileDiff> Files, IReadOnlyList<MetricDelta> Metrics, IReadOnlyList<FileTensorDiff>? Tensors = null)
    {
        /// <summary>Params that differ, by name (empty against the working tree).</summary>
        public IReadOnlyList<ParamChange> Params { get; init; } = [];
    }
}

namespace Lmvp.Store.Graph
{
    /// <summary>How two snapshots differ, file by file and chunk by chunk, and what a commit added to storage.</summary>
    public static class SnapshotDiffer
    {
        /// <summary>Files added, deleted and changed from <paramref name="from"/> to <paramref name="to"/> (path to entry), by path.</summary>
        /// <param name="from">The older side's files.</param>
        /// <param name="to">The newer side's files.</param>
        /// <param name="chunksOf">The chunks of a file entry (with its path); asked only for files whose content differs.</param>
        /// <param name="cancellationToken">Stops between files.</param>
        public static async ValueTask<IReadOnlyList<FileDiff>> CompareFilesAsync(IReadOnlyDictionary<string, TreeEntry> from, IReadOnlyDictionary<string, TreeEntry> to,
            Func<string, TreeEntry, CancellationToken, ValueTask<IReadOnlyList<ChunkRef>>> chunksOf, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(from);
            ArgumentNullException.ThrowIfNull(to);
            ArgumentNullException.ThrowIfNull(chunksOf);
            var files = new List<FileDiff>();
            foreach (var (path, entry) in to)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!from.TryGetValue(path, out var old))
                {
                    files.Add(new FileDiff(path, null, entry, entry.Size));
                }
                else if (!old.SameContent(entry))
                {
                    long differing = entry.Size;
                    if (old.Id == entry.Id)
                    {
                        differing = 0; // only the executable bit changed
                    }
                    else if (old.Kind == TreeEntryKind.File && entry.Kind == TreeEntryKind.File)
                    {
                        differing = ChunkRef.BytesNotIn(await chunksOf(path, entry, cancellationToken).ConfigureAwait(false),
                            await chunksOf(path, old, cancellationToken).ConfigureAwait(false));
                    }

                    files.Add(new FileDiff(path, old, entry, differing));
                }
            }

            foreach (var (path, old) in from)
            {
                if (!to.ContainsKey(path))
                {
                    files.Add(new FileDiff(path, old, null, old.Size));
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return files;
        }

        /// <summary>Files that differ between two trees of <paramref name="source"/>, with bytes differing by chunk.</summary>
        public static async ValueTask<IReadOnlyList<FileDiff>> CompareTreesAsync(IObjectSource source, ObjectId fromTree, ObjectId toTree,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(source);
            var from = await TreeWalk.ToDictionaryAsync(source, fromTree, cancellationToken).ConfigureAwait(false);
            var to = await TreeWalk.ToDictionaryAsync(source, toTree, cancellationToken).ConfigureAwait(false);
            return await CompareFilesAsync(from, to, (_, entry, ct) => ChunksAsync(source, entry.Id, ct), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Every metric of either commit, by name, with both values.</summary>
        public static IReadOnlyList<MetricDelta> CompareMetrics(Commit from, Commit to)
        {
            ArgumentNullException.ThrowIfNull(from);
            ArgumentNullException.ThrowIfNull(to);
            return Pair(from.Metrics, to.Metrics, (name, o, n) => new MetricDelta(name, o, n));
        }

        /// <summary>Every param of either commit, by name, with both values.</summary>
        public static IReadOnlyList<ParamChange> CompareParams(Commit from, Commit to)
        {
            ArgumentNullException.ThrowIfNull(from);
            ArgumentNullException.ThrowIfNull(to);
            return Pair(from.Params, to.Params, (name, o, n) => new ParamChange(name, o, n));
        }

        /// <summary>Every name of either side, in ordinal order, with the value on each side (null where it lacks the name).</summary>
        private static T[] Pair<TValue, T>(IEnumerable<KeyValuePair<string, TValue>> from, IEnumerable<KeyValuePair<string, TValue>> to,
            Func<string, TValue?, TValue?, T> make)
            where TValue : struct
        {
            var old = from.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var now = to.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            return [.. old.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
                .Select(name => make(name, old.TryGetValue(name, out var o) ? o : null, now.TryGetValue(name, out var n) ? n : null))];
        }

        /// <summary>Bytes of the distinct chunks in <paramref name="commit"/>'s files that no file of any parent holds: what
        /// storing this commit cost on top of its parents.</summary>
        public static async ValueTask<long> AddedBytesAsync(IObjectSource source, Commit commit, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(source);
            ArgumentNullException.ThrowIfNull(commit);
            var files = await TreeWalk.ToDictionaryAsync(source, commit.TreeId, cancellationToken).ConfigureAwait(false);
            var parentFileIds = new HashSet<ObjectId>();
            foreach (var p in commit.Parents)
            {
                if (await source.FindCommitAsync(p, cancellationToken).ConfigureAwait(false) is { } parent)
                {
                    foreach (var (_, e) in await TreeWalk.ToDictionaryAsync(source, parent.TreeId, cancellationToken).ConfigureAwait(false))
                    {
                        if (e.Kind == TreeEntryKind.File)
                        {
                            parentFileIds.Add(e.Id);
                        }
                    }
                }
            }

            var changed = files.Values.Where(e => e.Kind == TreeEntryKind.File && !parentFileIds.Contains(e.Id)).Select(e => e.Id).Distinct().ToList();
            if (changed.Count == 0)
            {
                return 0;
            }

            // Only files the parents lack can bring new chunks; their chunks are checked against every chunk the parents hold.
            var parentChunks = new HashSet<ObjectId>();
            foreach (var fileId in parentFileIds)
            {
                foreach (var c in await ChunksAsync(source, fileId, cancellationToken).ConfigureAwait(false))
                {
                    parentChunks.Add(c.Id);
                }
            }

            var counted = new HashSet<ObjectId>();
            long added = 0;
            foreach (var fileId in changed)
            {
                foreach (var c in await ChunksAsync(source, fileId, cancellationToken).ConfigureAwait(false))
                {
                    if (!parentChunks.Contains(c.Id) && counted.Add(c.Id))
                    {
                        added += c.Length;
                    }
                }
            }

            return added;
        }

        /// <summary>The chunks of a file the source must hold.</summary>
        public static async ValueTask<IReadOnlyList<ChunkRef>> ChunksAsync(IObjectSource source, ObjectId fileId, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(source);
            var manifest = await source.FindManifestAsync(fileId, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");
            return manifest.Chunks;
        }
    }
}
