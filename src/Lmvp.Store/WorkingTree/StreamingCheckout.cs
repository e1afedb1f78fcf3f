using System.Buffers;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;

namespace Lmvp.Store.WorkingTree;

/// <summary>Checks out a clone's snapshot while its chunks arrive: each verified chunk is written at its offsets in every file
/// that holds it, and a file takes its name once all its chunks are in and its whole content hashes to its id.</summary>
/// <remarks>
/// <para>Chunks arrive in the order the fetch asks for them (file by file, each chunk once), not always in file order: a chunk
/// shared by several files or offsets arrives once, and chunks already in the repository (a resumed clone) are not fetched. So
/// each file is written at offsets into a temporary file of its full size beside its destination (all-zero chunks left as
/// holes, as checkout leaves them), and every offset of a chunk is written when it arrives.</para>
/// <para>The whole-file hash runs over each file's written prefix as it grows: the chunk just verified is hashed from memory,
/// and chunks written earlier further on (shared ones) are read back from the temporary file, from the page cache, when the
/// prefix reaches them. In the usual order nothing is read back; memory is one chunk per file in progress plus the hash states.</para>
/// <para>A kill leaves only temporary names (a resumed clone removes them, <see cref="RemoveStaleTemporaries"/>); a failure
/// removes the temporaries it made. Only new paths are written: a path where something already is (a resumed clone's earlier
/// file, anything else) is left to the checkout that follows, which compares it and skips or refuses as a checkout does. Files
/// placed are given to the stat cache batch by batch (<see cref="RecordPlaced"/>), so that checkout finds them by a stat.</para>
/// <para>Not thread-safe: <see cref="Plan"/>, <see cref="WritePresent"/> and <see cref="RecordPlaced"/> run on the fetch's
/// thread between batches, <see cref="Accept"/> on the thread that verifies a batch's chunks, never at the same time.</para>
/// </remarks>
internal sealed class StreamingCheckout(string root, ObjectStore store, Func<string, bool> include) : IDisposable
{
    /// <summary>Temporary files kept open at once; a file whose chunks are spread out is reopened when it needs one.</summary>
    private const int MaxOpenFiles = 64;

    private readonly string _root = root;
    private readonly ObjectStore _store = store;
    private readonly CheckoutWriter _paths = new(root, store);
    private readonly List<StreamedFile> _files = [];
    private readonly Dictionary<ObjectId, List<(StreamedFile File, int Index)>> _slots = [];
    private readonly Queue<StreamedFile> _open = new();
    private readonly List<KeyValuePair<string, StatCacheEntry>> _placed = [];
    private byte[] _scratch = [];

    /// <summary>Files written and placed under their names.</summary>
    public int FilesWritten { get; private set; }

    /// <summary>Bytes of the files placed.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Chooses the files to write as their chunks arrive: regular files with content, kept by <c>include</c>, whose
    /// path is new. An unsafe path anywhere writes nothing here: the checkout that follows refuses the whole tree, as always.</summary>
    public void Plan(IEnumerable<(string Path, TreeEntry Entry, FileManifest Manifest)> files)
    {
        var chosen = new List<StreamedFile>();
        foreach (var (path, entry, manifest) in files)
        {
            string full;
            try
            {
                full = _paths.SafeFullPath(path);
            }
            catch (CorruptObjectException)
            {
                return;
            }

            if (entry.Kind == TreeEntryKind.File && manifest.Chunks.Count > 0 && manifest.Size == entry.Size
                && manifest.Chunks.Sum(c => (long)c.Length) == entry.Size && include(path) && IsNew(full))
            {
                chosen.Add(new StreamedFile(path, full, entry, manifest));
            }
        }

        foreach (var file in chosen)
        {
            _files.Add(file);
            for (var i = 0; i < file.Manifest.Chunks.Count; i++)
            {
                var id = file.Manifest.Chunks[i].Id;
                if (!_slots.TryGetValue(id, out var list))
                {
                    _slots[id] = list = [];
                }

                list.Add((file, i));
            }
        }
    }

    /// <summary>Writes the chunks the planned files need that the repository holds already (and will not be fetched).</summary>
    public void WritePresent(IReadOnlySet<ObjectId> present)
    {
        var ids = _files.SelectMany(f => f.Manifest.Chunks).Where(c => present.Contains(c.Id) && _slots.ContainsKey(c.Id)).DistinctBy(c => c.Id).ToList();
        if (ids.Count == 0)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ids.Max(c => c.Length));
        try
        {
            foreach (var chunk in ids)
            {
                _store.ReadChunk(chunk.Id, buffer.AsSpan(0, chunk.Length));
                Accept(chunk.Id, buffer.AsSpan(0, chunk.Length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes one chunk, already hashed to <paramref name="id"/>, wherever the planned files hold it; places each file
    /// it completes.</summary>
    /// <exception cref="CorruptObjectException">A completed file does not hash to its id (its manifest lied).</exception>
    public void Accept(ObjectId id, ReadOnlySpan<byte> raw)
    {
        if (!_slots.Remove(id, out var slots))
        {
            return; // a chunk of another version (--all-chunks), or of a file not written here
        }

        // All zeros: leave a hole in the preallocated file, as the file most likely had one (padding, sparse checkpoints).
        var hole = raw.IndexOfAnyExcept((byte)0) < 0;
        foreach (var (file, index) in slots)
        {
            var handle = Open(file); // made even for a hole: a file of zeros alone still needs its temporary file
            if (!hole)
            {
                RandomAccess.Write(handle, raw, file.Offsets[index]);
            }

            file.Written[index] = true;
            file.Remaining--;
        }

        StreamedFile? previous = null;
        foreach (var (file, _) in slots)
        {
            if (file != previous)
            {
                previous = file;
                Advance(file, id, raw);
            }
        }
    }

    /// <summary>Puts the files placed since the last call into the stat cache, so the checkout that follows reads none of them.</summary>
    public void RecordPlaced(RepositoryDatabase database)
    {
        if (_placed.Count > 0)
        {
            database.PutStatCache(_placed);
            _placed.Clear();
        }
    }

    /// <summary>Removes the files this placed (and the directories left empty): for a clone that keeps nothing.</summary>
    public void RemovePlaced()
    {
        foreach (var file in _files.Where(f => f.Placed))
        {
            try
            {
                File.Delete(file.FullPath);
                _paths.RemoveEmptyParents(file.FullPath);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Removes what a killed clone left under temporary names in its working tree (never inside .lmvp or .git).</summary>
    public static void RemoveStaleTemporaries(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var path in Directory.EnumerateFiles(root, CheckoutNames.TempPrefix + "*", options))
        {
            var relative = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar);
            if (!relative.SkipLast(1).Any(IgnoreRules.IsRepositoryDirectoryName))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Closes every file and removes the temporary files of those not placed.</summary>
    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Close();
            file.DisposeHasher();
            if (!file.Placed && file.Temp is { } temp)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (IOException)
                {
                }
            }
        }

        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }

    /// <summary>True when nothing is at <paramref name="full"/> and every parent that exists is a real directory (not a link).</summary>
    private bool IsNew(string full)
    {
        if (FileStatReader.TryLstat(full) is not null)
        {
            return false;
        }

        for (var dir = Path.GetDirectoryName(full)!; dir.Length > _root.Length; dir = Path.GetDirectoryName(dir)!)
        {
            if (FileStatReader.TryLstat(dir) is { } stat)
            {
                return stat.IsDirectory;
            }
        }

        return true;
    }

    /// <summary>The file's temporary file, created at its full size on first use, reopened if it was closed to bound open files.</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle Open(StreamedFile file)
    {
        if (file.Handle is { } open)
        {
            return open;
        }

        if (file.Temp is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file.FullPath)!);
            file.Temp = CheckoutNames.TempPathBeside(file.FullPath);
            file.Handle = File.OpenHandle(file.Temp, FileMode.CreateNew, FileAccess.ReadWrite);
            RandomAccess.SetLength(file.Handle, file.Entry.Size);
        }
        else
        {
            file.Handle = File.OpenHandle(file.Temp, FileMode.Open, FileAccess.ReadWrite);
        }

        _open.Enqueue(file);
        while (_open.Count > MaxOpenFiles)
        {
            _open.Dequeue().Close();
        }

        return file.Handle;
    }

    /// <summary>Hashes the file's written prefix as far as it now reaches; places the file when it is whole.</summary>
    private void Advance(StreamedFile file, ObjectId id, ReadOnlySpan<byte> raw)
    {
        var chunks = file.Manifest.Chunks;
        while (file.Hashed < chunks.Count && file.Written[file.Hashed])
        {
            var chunk = chunks[file.Hashed];
            if (chunk.Id == id)
            {
                file.Hash(raw);
            }
            else
            {
                // Written earlier, further on (a chunk this file shares): read back from the page cache.
                if (_scratch.Length < chunk.Length)
                {
                    if (_scratch.Length > 0)
                    {
                        ArrayPool<byte>.Shared.Return(_scratch);
                    }

                    _scratch = ArrayPool<byte>.Shared.Rent(chunk.Length);
                }

                var span = _scratch.AsSpan(0, chunk.Length);
                var read = 0;
                while (read < span.Length)
                {
                    var n = RandomAccess.Read(Open(file), span[read..], file.Offsets[file.Hashed] + read);
                    read += n > 0 ? n : throw new IOException($"{file.Temp} is shorter than it was made.");
                }

                file.Hash(span);
            }

            file.Hashed++;
        }

        if (file.Remaining == 0 && file.Hashed == chunks.Count)
        {
            Place(file);
        }
    }

    /// <summary>Checks the whole file's hash, then gives it its mode and renames it into place, recording its stat.</summary>
    private void Place(StreamedFile file)
    {
        var id = file.FinishHash();
        file.Close();
        if (id != file.Entry.Id)
        {
            throw new CorruptObjectException($"Cannot check out {file.Path}: its chunks do not hash to file {file.Entry.Id.ToShortString()}; it was not written.");
        }

        CheckoutFiles.SetMode(file.Temp!, file.Entry.IsExecutable);
        try
        {
            // Never over something that appeared meanwhile: that is the checkout's to compare.
            File.Move(file.Temp!, file.FullPath, overwrite: false);
        }
        catch (IOException) when (FileStatReader.TryLstat(file.FullPath) is not null)
        {
            File.Delete(file.Temp!);
            file.Temp = null;
            return;
        }

        file.Placed = true;
        FilesWritten++;
        BytesWritten += file.Entry.Size;
        if (FileStatReader.TryLstat(file.FullPath) is { } stat)
        {
            // Just written and verified, so its stat may be cached even inside the racy window (as checkout does).
            _placed.Add(new(file.Path, StatCacheEntry.Of(stat, file.Entry.Id)));
        }
    }
}
