using Lmvp.Store.Graph;
using Lmvp.Store.Objects;

namespace Lmvp.Store.Sync;

/// <summary>The commits, trees and manifests one fetch received, each verified and decoded once as it arrived, seen
/// together with what the repository already holds.</summary>
/// <remarks>Nothing here is in the index until the fetch publishes it with its ref moves.</remarks>
internal sealed class ReceivedObjects(ObjectStore local, string server) : IObjectSource
{
    private readonly Dictionary<(ObjectId Id, ObjectKind Kind), (object Value, byte[] Data)> _objects = [];

    public int Count => _objects.Count;

    /// <summary>Every received object with its bytes, for publishing.</summary>
    public IEnumerable<(ObjectId Id, ObjectKind Kind, byte[] Data)> All => _objects.Select(o => (o.Key.Id, o.Key.Kind, o.Value.Data));

    /// <summary>The received file manifests.</summary>
    public IEnumerable<FileManifest> Manifests => _objects.Values.Select(o => o.Value).OfType<FileManifest>();

    public void Clear() => _objects.Clear();

    /// <summary>Verifies and keeps one received object; a bad one is a <see cref="CorruptObjectException"/> naming the server.</summary>
    public void Add(ObjectKind kind, ObjectId id, byte[] data)
    {
        try
        {
            object value = kind switch
            {
                ObjectKind.Commit => Commit.Decode(data, id),
                ObjectKind.Tree => Tree.Decode(data, id),
                ObjectKind.Manifest => FileManifest.Decode(data, id),
                _ => throw new CorruptObjectException($"a {kind.ToString().ToLowerInvariant()} frame where only commits, trees and manifests belong"),
            };
            _objects[(id, kind)] = (value, data);
        }
        catch (CorruptObjectException e)
        {
            throw new CorruptObjectException($"{server} sent a bad object {id.ToShortString()}: {e.Message} Nothing from this fetch was kept.", e);
        }
    }

    /// <summary>True when the object was not received and the repository holds it: it is complete with all it reaches.</summary>
    public bool IsHeldLocally(ObjectId id, ObjectKind kind) => !_objects.ContainsKey((id, kind)) && local.Database.HasObject(id, kind);

    /// <summary>Checks that everything <paramref name="wants"/> reach was received or is held already.</summary>
    public void CheckComplete(IEnumerable<ObjectId> wants)
    {
        var walker = new GraphWalker(this) { Skip = (id, kind, _) => new(IsHeldLocally(id, kind)) };
        foreach (var node in walker.Walk(wants))
        {
            if (node.IsMissing)
            {
                throw node.Problem == GraphNode.Absent
                    ? new RemoteException($"{server} sent an incomplete history: {node.Kind.ToString().ToLowerInvariant()} {node.Id.ToShortString()} is missing. Nothing from this fetch was kept.")
                    : new CorruptObjectException($"{node.Kind.ToString().ToLowerInvariant()} {node.Id.ToShortString()} ({node.Where}) cannot be read: {node.Problem}");
            }
        }
    }

    /// <summary>A path at which one of <paramref name="commits"/> holds the file <paramref name="fileId"/>, or null (for messages).</summary>
    public string? PathOf(IEnumerable<ObjectId> commits, ObjectId fileId) =>
        new GraphWalker(this).Walk(commits).FirstOrDefault(n => n.Kind == ObjectKind.Manifest && n.Id == fileId)?.Path;

    ValueTask<Commit?> IObjectSource.FindCommitAsync(ObjectId id, CancellationToken cancellationToken) => new(Find<Commit>(id, ObjectKind.Commit) ?? local.FindCommit(id));

    ValueTask<Tree?> IObjectSource.FindTreeAsync(ObjectId id, CancellationToken cancellationToken) => new(Find<Tree>(id, ObjectKind.Tree) ?? local.FindTree(id));

    ValueTask<FileManifest?> IObjectSource.FindManifestAsync(ObjectId fileId, CancellationToken cancellationToken) =>
        new(Find<FileManifest>(fileId, ObjectKind.Manifest) ?? local.FindManifest(fileId));

    private T? Find<T>(ObjectId id, ObjectKind kind)
        where T : class => _objects.TryGetValue((id, kind), out var o) ? (T)o.Value : null;
}
