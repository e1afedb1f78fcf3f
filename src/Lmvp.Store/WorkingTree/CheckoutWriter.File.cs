using System.Buffers;
using System.Collections.Concurrent;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;

namespace Lmvp.Store.WorkingTree;

internal sealed partial class CheckoutWriter
{
    /// <summary>A group of chunks read and decoded together by one task closes once it holds this many bytes or
    /// <see cref="GroupChunks"/> chunks: one buffer per group means the whole-file hash takes a megabyte per update (BLAKE3 in
    /// 64 KiB updates ran at two thirds of its speed) and the file gets one write per group, not one per chunk.</summary>
    private const int GroupBytes = 1 << 20;

    private const int GroupChunks = 16;

    /// <summary>Groups read and decoded ahead of the hashing: enough to keep every core busy, few enough to bound memory.</summary>
    private const int GroupsAhead = 3;

    /// <summary>Files at least this large get their blocks allocated before they are written (see <see cref="WriteFileVerified"/>).</summary>
    private const long PreallocateFrom = 1 << 20;

    /// <summary>Writes one file to a temporary name, verifying every chunk and the whole content, then renames it into place.</summary>
    /// <remarks>A reader thread hashes groups of chunks in order while tasks read and decode the groups ahead of it, and this
    /// thread writes them. A large file without all-zero chunks has its blocks allocated first (fallocate): ext4 otherwise
    /// starts writing back a file renamed over an existing one inside the rename (auto_da_alloc), and reserves each block as
    /// it is written; all-zero chunks are left as holes instead, as the file most likely had them.</remarks>
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

        var groups = Groups(manifest);
        var temp = CheckoutNames.TempPathBeside(fullPath);
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
                PreallocationSize = entry.Size >= PreallocateFrom && !HasZeroChunks(manifest) ? entry.Size : 0,
            };
            using (var output = new FileStream(temp, options))
            using (var hasher = Blake3.Hasher.New())
            using (var queue = new BlockingCollection<ChunkGroup>(boundedCapacity: GroupsAhead + 1))
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                Exception? readerError = null;

                // A dedicated thread pays off for large files only: creating one for each of 10,000 small files
                // tripled the CPU time of their checkout.
                var reader = Task.Factory.StartNew(() =>
                {
                    // Groups are read and decoded by tasks a few groups ahead (decoding byte planes costs more than reading
                    // them, so it goes to every core), while this thread hashes and queues them in order.
                    var ahead = new Queue<Task<ChunkGroup>>();
                    var next = 0;
                    void StartGroups()
                    {
                        while (ahead.Count < GroupsAhead && next < groups.Count)
                        {
                            var (first, last, length) = groups[next++];
                            ahead.Enqueue(groups.Count > 1
                                ? Task.Run(() => ReadGroupOf(manifest, locations, first, last, length), CancellationToken.None)
                                : Task.FromResult(ReadGroupOf(manifest, locations, first, last, length)));
                        }
                    }

                    try
                    {
                        StartGroups();
                        while (ahead.Count > 0)
                        {
                            var group = ahead.Dequeue().GetAwaiter().GetResult();
                            StartGroups();
                            try
                            {
                                hasher.Update(group.Bytes);
                                queue.Add(group, cts.Token);
                            }
                            catch
                            {
                                group.Return();
                                throw;
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
                                left.GetAwaiter().GetResult().Return();
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
                    foreach (var group in queue.GetConsumingEnumerable(cancellationToken))
                    {
                        try
                        {
                            WriteGroup(output, manifest, group);
                            onWritten(group.Length);
                        }
                        finally
                        {
                            group.Return();
                        }
                    }
                }
                finally
                {
                    cts.Cancel();
                    reader.Wait(CancellationToken.None);
                    while (queue.TryTake(out var left))
                    {
                        left.Return();
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

    /// <summary>Cuts a file's chunks into groups of [first, last) with their byte length.</summary>
    private static List<(int First, int Last, int Length)> Groups(FileManifest manifest)
    {
        var groups = new List<(int, int, int)>();
        var first = 0;
        var length = 0;
        for (var i = 0; i < manifest.Chunks.Count; i++)
        {
            length += manifest.Chunks[i].Length;
            if (length >= GroupBytes || i + 1 - first == GroupChunks || i + 1 == manifest.Chunks.Count)
            {
                groups.Add((first, i + 1, length));
                first = i + 1;
                length = 0;
            }
        }

        return groups;
    }

    /// <summary>Writes a group's chunks in order, seeking over all-zero chunks (holes) instead of writing them.</summary>
    private static void WriteGroup(FileStream output, FileManifest manifest, ChunkGroup group)
    {
        var bytes = group.Bytes;
        var run = 0;
        var position = 0;
        for (var i = group.First; i < group.Last; i++)
        {
            var length = manifest.Chunks[i].Length;
            if (bytes.Slice(position, length).IndexOfAnyExcept((byte)0) < 0)
            {
                output.Write(bytes[run..position]);
                output.Seek(length, SeekOrigin.Current);
                run = position + length;
            }

            position += length;
        }

        output.Write(bytes[run..position]);
    }

    /// <summary>Whether some chunk holds only zeros, judged by id against the zeros of the lengths most chunks have (tensor pieces
    /// share one length; content-defined chunks of zeros have the largest); a file that has one is not preallocated, so it
    /// keeps its holes.</summary>
    private static bool HasZeroChunks(FileManifest manifest)
    {
        var lengths = manifest.Chunks.GroupBy(c => c.Length).OrderByDescending(g => g.Count()).Take(3).Select(g => g.Key)
            .Append(manifest.Chunks.Max(c => c.Length)).Distinct().ToList();
        if (lengths.Max() > GroupBytes)
        {
            return true;
        }

        var zeros = new byte[lengths.Max()];
        var ids = lengths.ToDictionary(l => l, l => ObjectId.Compute(zeros.AsSpan(0, l)));
        return manifest.Chunks.Any(c => ids.TryGetValue(c.Length, out var zero) && c.Id == zero);
    }

    /// <summary>Reads (and decodes) chunks [first, last) one after another into one rented buffer; a chunk equal to the one before
    /// it in the group is copied, not read again. Not hashed per chunk: the whole-file hash covers every byte once, and a
    /// mismatch is traced to its chunk by <see cref="VerifyChunks"/>.</summary>
    private ChunkGroup ReadGroupOf(FileManifest manifest, List<ChunkLocation> locations, int first, int last, int length)
    {
        var group = new ChunkGroup(ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)), first, last, length);
        try
        {
            var position = 0;
            for (var i = first; i < last; i++)
            {
                var chunk = manifest.Chunks[i];
                var destination = group.Buffer.AsSpan(position, chunk.Length);
                if (i > first && chunk.Id == manifest.Chunks[i - 1].Id)
                {
                    group.Buffer.AsSpan(position - chunk.Length, chunk.Length).CopyTo(destination);
                }
                else
                {
                    _store.ReadChunk(chunk.Id, locations[i], destination, verify: false);
                }

                position += chunk.Length;
            }

            return group;
        }
        catch
        {
            group.Return();
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

    /// <summary>Chunks [First, Last) of a file, decoded back to back in a rented buffer.</summary>
    private sealed class ChunkGroup(byte[] buffer, int first, int last, int length)
    {
        public byte[] Buffer { get; } = buffer;

        public int First { get; } = first;

        public int Last { get; } = last;

        public int Length { get; } = length;

        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);

        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
