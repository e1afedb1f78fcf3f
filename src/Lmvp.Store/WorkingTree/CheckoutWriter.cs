using System.Buffers;
using System.Collections.Concurrent;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;

namespace Lmvp.Store.WorkingTree;

/// <summary>Writes stored files into the working tree, each verified end to end before it takes its name.</summary>
/// <remarks>Each file is written to a temporary name beside its destination, its chunks and whole content verified against
/// their ids, then renamed into place: a failure never leaves a partly written or corrupt file under a tracked name. Paths
/// are checked before anything is written, so a hostile tree (one leading outside the working tree or into .lmvp or .git)
/// changes nothing.</remarks>
internal sealed class CheckoutWriter
{
    /// <summary>Chunks read and decoded together by one task, before they are hashed and written in order.</summary>
    private const int ReadGroup = 16;

    /// <summary>Groups read and decoded ahead of the hashing: enough to keep every core busy, few enough to bound memory.</summary>
    private const int GroupsAhead = 3;

    private readonly string _root;
    private readonly ObjectStore _store;
    private readonly RepositoryDatabase _database;
    private readonly PromisedChunks? _promised;

    /// <summary>A writer into <paramref name="root"/>; with <paramref name="promised"/>, chunks a remote promises are fetched first.</summary>
    public CheckoutWriter(string root, ObjectStore store, PromisedChunks? promised = null)
    {
        _root = root;
        _store = store;
        _database = store.Database;
        _promised = promised;
    }

    public (int Files, long Bytes) WriteEntries(IEnumerable<KeyValuePair<string, TreeEntry>> entries, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var list = entries.ToList();
        ValidatePaths(list.Select(e => e.Key));
        _promised?.EnsurePresent(
            list.Where(e => e.Value.Kind == TreeEntryKind.File).Select(e => ((string?)e.Key, _store.GetManifest(e.Value.Id))).ToList(), "check out", cancellationToken);
        var total = list.Where(e => e.Value.Kind == TreeEntryKind.File).Sum(e => e.Value.Size);
        long done = 0;
        var cache = _database.LoadStatCache();
        var count = 0;
        foreach (var (path, entry) in list)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var full = SafeFullPath(path);
            EnsureParentDirectories(path);
            if (entry.Kind == TreeEntryKind.Symlink)
            {
                DeleteIfPresent(full);
                File.CreateSymbolicLink(full, entry.LinkTarget ?? "");
                count++;
                continue;
            }

            WriteFileVerified(entry, full, n =>
            {
                done += n;
                progress?.Report(new ProgressInfo("checkout", done, total));
            }, cancellationToken);
            count++;
            if (FileStatReader.TryLstat(full) is { } stat)
            {
                // We just wrote and verified this content, so its stat may be cached even inside the racy window.
                cache[path] = new StatCacheEntry(stat.Size, stat.MtimeNs, stat.CtimeNs, stat.Inode, entry.Id);
            }
        }

        _database.ReplaceStatCache(cache);
        return (count, done);
    }

    /// <summary>Writes one file to a temporary name, verifying every chunk and the whole content, then renames it into place.</summary>
    /// <remarks>A reader thread fetches and verifies chunks while this thread writes and hashes the whole file.</remarks>
    private void WriteFileVerified(TreeEntry entry, string fullPath, Action<int> onWritten, CancellationToken cancellationToken)
    {
        var manifest = _store.GetManifest(entry.Id);
        var locations = new List<ChunkLocation>(manifest.Chunks.Count);
        foreach (var c in manifest.Chunks)
        {
            if (!_database.TryGetChunk(c.Id, out var loc))
            {
                throw new ObjectNotFoundException($"Cannot check out {Path.GetFileName(fullPath)}: chunk {c.Id.ToShortString()} is missing.");
            }

            locations.Add(loc);
        }

        // Packs are opened here, on this thread: the readers below must never touch the index database.
        foreach (var packId in locations.Select(l => l.PackId).Distinct())
        {
            _store.Packs.Get(packId);
        }

        var temp = Path.Combine(Path.GetDirectoryName(fullPath)!, CheckoutNames.TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
            using (var hasher = Blake3.Hasher.New())
            using (var queue = new BlockingCollection<(byte[] Buffer, int Length)>(boundedCapacity: 32))
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                Exception? readerError = null;

                // A dedicated thread pays off for large files only: creating one for each of 10,000 small files
                // tripled the CPU time of their checkout.
                var reader = Task.Factory.StartNew(() =>
                {
                    // Groups of chunks are read and decoded by tasks a few groups ahead (decoding byte planes costs more than
                    // reading them, so it goes to every core), while this thread hashes and queues them in order. Runs of one
                    // chunk (zero padding, sparse regions) are read and decoded once.
                    var ahead = new Queue<Task<byte[][]>>();
                    var next = 0;
                    void StartGroups()
                    {
                        while (ahead.Count < GroupsAhead && next < manifest.Chunks.Count)
                        {
                            var first = next;
                            next = Math.Min(manifest.Chunks.Count, next + ReadGroup);
                            var last = next;
                            ahead.Enqueue(last - first > 1 && manifest.Chunks.Count > ReadGroup
                                ? Task.Run(() => ReadGroupOf(manifest, locations, first, last), CancellationToken.None)
                                : Task.FromResult(ReadGroupOf(manifest, locations, first, last)));
                        }
                    }

                    try
                    {
                        byte[]? previousBytes = null;
                        var index = 0;
                        StartGroups();
                        while (ahead.Count > 0)
                        {
                            var group = ahead.Dequeue().GetAwaiter().GetResult();
                            StartGroups();
                            for (var k = 0; k < group.Length; k++, index++)
                            {
                                var length = manifest.Chunks[index].Length;
                                var buffer = group[k];
                                group[k] = null!;
                                try
                                {
                                    if (index > 0 && manifest.Chunks[index].Id == manifest.Chunks[index - 1].Id)
                                    {
                                        previousBytes.AsSpan(0, length).CopyTo(buffer);
                                    }
                                    else if (index + 1 < manifest.Chunks.Count && manifest.Chunks[index + 1].Id == manifest.Chunks[index].Id)
                                    {
                                        previousBytes = buffer.AsSpan(0, length).ToArray();
                                    }

                                    hasher.Update(buffer.AsSpan(0, length));
                                    queue.Add((buffer, length), cts.Token);
                                }
                                catch
                                {
                                    ArrayPool<byte>.Shared.Return(buffer);
                                    foreach (var left in group.Where(b => b is not null))
                                    {
                                        ArrayPool<byte>.Shared.Return(left);
                                    }

                                    throw;
                                }
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        readerError = e;
                    }
                    finally
                    {
                        // Groups still being read are waited for and their buffers returned.
                        while (ahead.TryDequeue(out var left))
                        {
                            try
                            {
                                foreach (var buffer in left.GetAwaiter().GetResult())
                                {
                                    ArrayPool<byte>.Shared.Return(buffer);
                                }
                            }
                            catch (Exception e)
                            {
                                readerError ??= e;
                            }
                        }

                        queue.CompleteAdding();
                    }
                }, CancellationToken.None, manifest.Chunks.Count > 4 ? TaskCreationOptions.LongRunning : TaskCreationOptions.None, TaskScheduler.Default);

                try
                {
                    foreach (var (buffer, length) in queue.GetConsumingEnumerable(cancellationToken))
                    {
                        try
                        {
                            if (buffer.AsSpan(0, length).IndexOfAnyExcept((byte)0) < 0)
                            {
                                // All zeros: leave a hole, as the file most likely had one (sparse checkpoints, padding).
                                output.Seek(length, SeekOrigin.Current);
                            }
                            else
                            {
                                output.Write(buffer, 0, length);
                            }

                            onWritten(length);
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(buffer);
                        }
                    }
                }
                finally
                {
                    cts.Cancel();
                    reader.Wait(CancellationToken.None);
                    while (queue.TryTake(out var left))
                    {
                        ArrayPool<byte>.Shared.Return(left.Buffer);
                    }
                }

                output.SetLength(output.Position);
                if (readerError is not null)
                {
                    throw readerError is LmvpException
                        ? new CorruptObjectException($"Cannot check out {Path.GetRelativePath(_root, fullPath)}: {readerError.Message}", readerError)
                        : readerError;
                }

                Span<byte> hash = stackalloc byte[ObjectId.Size];
                hasher.Finalize(hash);
                if (new ObjectId(hash) != entry.Id || output.Length != entry.Size)
                {
                    var broken = VerifyChunks(manifest, locations);
                    throw new CorruptObjectException($"Cannot check out {Path.GetRelativePath(_root, fullPath)}: "
                        + (broken ?? $"its chunks do not hash to file {entry.Id.ToShortString()}") + "; run 'lmvp fsck'.");
                }
            }

            CheckoutFiles.SetMode(temp, entry.IsExecutable);

            if (Directory.Exists(fullPath) && FileStatReader.TryLstat(fullPath) is { IsDirectory: true })
            {
                Directory.Delete(fullPath, recursive: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }

            throw;
        }
    }

    /// <summary>Refuses the whole set before anything is written if any path is unsafe, so a hostile tree changes nothing.</summary>
    public void ValidatePaths(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            SafeFullPath(path);
        }
    }

    /// <summary>Reads (and decodes) chunks [first, last) into rented buffers; a chunk equal to the one before it is left for the
    /// caller to copy. Not hashed per chunk: the whole-file hash covers every byte once, and a mismatch is traced to its chunk
    /// by <see cref="VerifyChunks"/>.</summary>
    private byte[][] ReadGroupOf(FileManifest manifest, List<ChunkLocation> locations, int first, int last)
    {
        var group = new byte[last - first][];
        try
        {
            for (var i = first; i < last; i++)
            {
                group[i - first] = ArrayPool<byte>.Shared.Rent(manifest.Chunks[i].Length);
                if (i == 0 || manifest.Chunks[i].Id != manifest.Chunks[i - 1].Id)
                {
                    _store.ReadChunk(manifest.Chunks[i].Id, locations[i], group[i - first].AsSpan(0, manifest.Chunks[i].Length), verify: false);
                }
            }

            return group;
        }
        catch
        {
            foreach (var buffer in group.Where(b => b is not null))
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            throw;
        }
    }

    /// <summary>Verifies each chunk of a file on its own; the first failure's message, or null when every chunk is sound.</summary>
    private string? VerifyChunks(FileManifest manifest, List<ChunkLocation> locations)
    {
        var seen = new HashSet<ObjectId>();
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            if (!seen.Add(manifest.Chunks[i].Id))
            {
                continue;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(manifest.Chunks[i].Length);
            try
            {
                _store.ReadChunk(manifest.Chunks[i].Id, locations[i], buffer.AsSpan(0, manifest.Chunks[i].Length));
            }
            catch (CorruptObjectException e)
            {
                return e.Message.TrimEnd('.');
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return null;
    }

    /// <summary>Maps a repository path to a full path, refusing anything that would land outside the working tree or in a
    /// repository directory (a planted .git/hooks file would run code; .lmvp is our own store).</summary>
    public string SafeFullPath(string path)
    {
        if (path.Length == 0 || path.Split('/').Any(part => !Tree.IsValidName(part) || IgnoreRules.IsRepositoryDirectoryName(part)))
        {
            throw new CorruptObjectException($"Refusing unsafe path '{CanonicalReader.Printable(path)}' from a tree.");
        }

        var full = Path.GetFullPath(Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new CorruptObjectException($"Refusing path '{CanonicalReader.Printable(path)}': it leaves the working tree.");
        }

        return full;
    }

    /// <summary>Creates the parent directories of a path; a symlink or file in the way is replaced, never followed.</summary>
    private void EnsureParentDirectories(string path)
    {
        var parts = path.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var stat = FileStatReader.TryLstat(current);
            if (stat is { IsDirectory: true })
            {
                continue;
            }

            if (stat is not null)
            {
                File.Delete(current); // a file or a symlink: writing through a link could escape the tree
            }

            Directory.CreateDirectory(current);
        }
    }

    private static void DeleteIfPresent(string full)
    {
        var stat = FileStatReader.TryLstat(full);
        if (stat is { IsDirectory: true })
        {
            Directory.Delete(full, recursive: true);
        }
        else if (stat is not null)
        {
            File.Delete(full);
        }
    }

    public void RemoveEmptyParents(string full)
    {
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > _root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.EnumerateFileSystemEntries(dir).Any())
            {
                return;
            }

            Directory.Delete(dir);
        }
    }
}
