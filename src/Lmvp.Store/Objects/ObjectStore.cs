using Lmvp.Store.Chunking;
using Lmvp.Store.Index;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Reads objects and chunks through the index and the packs, verifying every read.</summary>
internal sealed class ObjectStore
{
    private readonly RepositoryDatabase _database;
    private readonly PackSet _packs;

    public ObjectStore(RepositoryDatabase database, PackSet packs)
    {
        _database = database;
        _packs = packs;
    }

    public RepositoryDatabase Database => _database;

    public PackSet Packs => _packs;

    public Commit GetCommit(ObjectId id)
    {
        if (!_database.TryGetObject(id, EntryKind.Commit, out var data))
        {
            throw new ObjectNotFoundException($"Commit {id.ToShortString()} not found.");
        }

        return Commit.Decode(data, id);
    }

    public bool TryGetCommit(ObjectId id, out Commit? commit)
    {
        commit = null;
        if (!_database.TryGetObject(id, EntryKind.Commit, out var data))
        {
            return false;
        }

        commit = Commit.Decode(data, id);
        return true;
    }

    public Tree GetTree(ObjectId id)
    {
        if (!_database.TryGetObject(id, EntryKind.Tree, out var data))
        {
            throw new ObjectNotFoundException($"Tree {id.ToShortString()} not found.");
        }

        return Tree.Decode(data, id);
    }

    public FileManifest GetManifest(ObjectId fileId)
    {
        if (!_database.TryGetObject(fileId, EntryKind.Manifest, out var data))
        {
            throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");
        }

        return FileManifest.Decode(data, fileId);
    }

    public bool HasManifest(ObjectId fileId) => _database.HasObject(fileId, EntryKind.Manifest);

    /// <summary>Reads one chunk into <paramref name="destination"/> (exactly its length) and verifies its hash.</summary>
    public void ReadChunk(ObjectId id, Span<byte> destination)
    {
        if (!_database.TryGetChunk(id, out var location))
        {
            throw new ObjectNotFoundException($"Chunk {id.ToShortString()} not found in the index.");
        }

        ReadChunk(id, location, destination);
    }

    /// <summary>Reads a chunk at a known location; safe to call from several threads.</summary>
    public void ReadChunk(ObjectId id, ChunkLocation location, Span<byte> destination, bool verify = true) =>
        _packs.Get(location.PackId).ReadEntry(location.ToEntry(id), destination, verify);

    /// <summary>Walks a tree recursively, yielding (path, entry) for every file and symlink, in path order.</summary>
    /// <remarks>Paths longer than <see cref="Tree.MaxPathBytes"/> are refused as corrupt: no file system could hold them, and
    /// bounding the length bounds the depth, so a hostile chain of nested trees cannot overflow the stack.</remarks>
    public IEnumerable<(string Path, TreeEntry Entry)> Flatten(ObjectId treeId, string prefix = "")
    {
        foreach (var e in GetTree(treeId).Entries)
        {
            var path = prefix.Length == 0 ? e.Name : prefix + "/" + e.Name;
            if (System.Text.Encoding.UTF8.GetByteCount(path) > Tree.MaxPathBytes)
            {
                throw new CorruptObjectException($"Tree {treeId.ToShortString()} leads to a path longer than {Tree.MaxPathBytes} bytes "
                    + $"('{CanonicalReader.Printable(path[..Math.Min(path.Length, 60)])}...'): nested too deep to check out.");
            }

            if (e.Kind == TreeEntryKind.Directory)
            {
                foreach (var inner in Flatten(e.Id, path))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return (path, e);
            }
        }
    }

    /// <summary>The chunk list of a file, looked up through its manifest.</summary>
    public IReadOnlyList<ChunkRef> GetChunks(ObjectId fileId) => GetManifest(fileId).Chunks;
}
