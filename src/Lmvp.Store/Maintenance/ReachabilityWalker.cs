using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Maintenance;

/// <summary>An object that something reachable names but the index cannot supply (absent, of the wrong kind, or corrupt).</summary>
/// <param name="Kind">What was expected.</param>
/// <param name="Id">The id named.</param>
/// <param name="Where">Who names it, for a person: "parent of commit 1a2b…", "weights/a.bin in commit 1a2b…".</param>
/// <param name="Commit">The commit through which it was reached.</param>
/// <param name="Path">For files and trees, the path in that commit.</param>
/// <param name="Reason">Why it is unusable: "missing" or the decoding error.</param>
internal readonly record struct MissingObject(EntryKind Kind, ObjectId Id, string Where, ObjectId Commit, string? Path, string Reason);

/// <summary>Walks everything reachable from some commits: parents, trees, files (manifests); each object once.</summary>
/// <remarks>Memory grows with the number of distinct commits, trees and files, never with chunks: a manifest's chunks are
/// handed to <see cref="OnManifest"/> and not kept.</remarks>
internal sealed class ReachabilityWalker
{
    private readonly RepositoryDatabase _database;

    public ReachabilityWalker(RepositoryDatabase database)
    {
        _database = database;
    }

    /// <summary>Commits reached (present or not).</summary>
    public HashSet<ObjectId> Commits { get; } = [];

    /// <summary>Trees reached (present or not).</summary>
    public HashSet<ObjectId> Trees { get; } = [];

    /// <summary>File ids reached (present or not).</summary>
    public HashSet<ObjectId> Files { get; } = [];

    /// <summary>Called for each reachable object the index cannot supply.</summary>
    public Action<MissingObject>? OnMissing { get; set; }

    /// <summary>Called once per reachable file with its decoded manifest.</summary>
    public Action<FileManifest>? OnManifest { get; set; }

    /// <summary>Walks the history from <paramref name="start"/>; returns false when the start itself is not a usable commit.</summary>
    public bool Walk(ObjectId start, CancellationToken cancellationToken)
    {
        if (!TryDecodeCommit(start, out var first, out _))
        {
            return false;
        }

        // The stack holds decoded commits, so each is read and hashed once.
        var stack = new Stack<Commit>();
        if (Commits.Add(start))
        {
            stack.Push(first!);
        }

        while (stack.TryPop(out var commit))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var parent in commit.Parents)
            {
                if (Commits.Add(parent))
                {
                    if (TryDecodeCommit(parent, out var decoded, out var reason))
                    {
                        stack.Push(decoded!);
                    }
                    else
                    {
                        OnMissing?.Invoke(new MissingObject(EntryKind.Commit, parent, $"parent of commit {commit.Id.ToShortString()}", commit.Id, null, reason));
                    }
                }
            }

            WalkTree(commit.TreeId, "", commit.Id);
        }

        return true;
    }

    /// <summary>Decodes a commit from the index; false (with why) when it is absent, not a commit, or corrupt.</summary>
    public bool TryDecodeCommit(ObjectId id, out Commit? commit, out string reason)
    {
        commit = null;
        if (!_database.TryGetObject(id, EntryKind.Commit, out var data))
        {
            if (!_database.TryGetObject(id, out var kind, out _))
            {
                reason = "missing";
                return false;
            }

            reason = $"a {kind.ToString().ToLowerInvariant()}, not a commit";
            return false;
        }

        try
        {
            commit = Commit.Decode(data, id);
            reason = "";
            return true;
        }
        catch (CorruptObjectException e)
        {
            reason = e.Message;
            return false;
        }
    }

    private void WalkTree(ObjectId treeId, string prefix, ObjectId commitId)
    {
        if (!Trees.Add(treeId))
        {
            return;
        }

        Tree tree;
        var where = prefix.Length == 0 ? $"root tree of commit {commitId.ToShortString()}" : $"{prefix}/ in commit {commitId.ToShortString()}";
        if (!_database.TryGetObject(treeId, EntryKind.Tree, out var data))
        {
            OnMissing?.Invoke(new MissingObject(EntryKind.Tree, treeId, where, commitId, prefix, "missing"));
            return;
        }

        try
        {
            tree = Tree.Decode(data, treeId);
        }
        catch (CorruptObjectException e)
        {
            OnMissing?.Invoke(new MissingObject(EntryKind.Tree, treeId, where, commitId, prefix, e.Message));
            return;
        }

        foreach (var entry in tree.Entries)
        {
            var path = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            switch (entry.Kind)
            {
                case TreeEntryKind.Directory:
                    WalkTree(entry.Id, path, commitId);
                    break;
                case TreeEntryKind.File when Files.Add(entry.Id):
                    VisitFile(entry.Id, path, commitId);
                    break;
            }
        }
    }

    private void VisitFile(ObjectId fileId, string path, ObjectId commitId)
    {
        var where = $"{path} in commit {commitId.ToShortString()}";
        if (!_database.TryGetObject(fileId, EntryKind.Manifest, out var data))
        {
            OnMissing?.Invoke(new MissingObject(EntryKind.Manifest, fileId, where, commitId, path, "missing"));
            return;
        }

        FileManifest manifest;
        try
        {
            manifest = FileManifest.Decode(data, fileId);
        }
        catch (CorruptObjectException e)
        {
            OnMissing?.Invoke(new MissingObject(EntryKind.Manifest, fileId, where, commitId, path, e.Message));
            return;
        }

        OnManifest?.Invoke(manifest);
    }
}
