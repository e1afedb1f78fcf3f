using Lmvp.Store.Graph;
using Lmvp.Store.Refs;

namespace Lmvp.Store;

/// <summary>A branch and where it points.</summary>
/// <param name="Name">The short name.</param>
/// <param name="Target">Its commit.</param>
/// <param name="IsCurrent">True when HEAD names it.</param>
public sealed record BranchInfo(string Name, ObjectId Target, bool IsCurrent);

public sealed partial class Repository
{
    /// <summary>The checked-out branch, or null when HEAD is detached.</summary>
    public string? CurrentBranch => _refs.CurrentBranch;

    /// <summary>The commit HEAD points at, or null before the first commit.</summary>
    public ObjectId? Head => _refs.Head;

    /// <summary>Branches, sorted by name.</summary>
    public IReadOnlyList<BranchInfo> ListBranches()
    {
        var current = CurrentBranch;
        return _database.ListRefs(RefName.HeadsPrefix)
            .Select(r => new BranchInfo(r.Key[RefName.HeadsPrefix.Length..], r.Value, r.Key[RefName.HeadsPrefix.Length..] == current))
            .ToList();
    }

    /// <summary>Tags, sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListTags() =>
        _database.ListRefs(RefName.TagsPrefix).Select(r => new KeyValuePair<string, ObjectId>(r.Key[RefName.TagsPrefix.Length..], r.Value)).ToList();

    /// <summary>Every ref (branches, tags, remote-tracking) with its full name.</summary>
    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListRefs(string prefix = "refs/") => _database.ListRefs(prefix);

    /// <summary>Reads a ref by full name (refs/heads/main), or null.</summary>
    public ObjectId? GetRef(string fullName) => _database.GetRef(fullName);

    /// <summary>Creates a branch at <paramref name="startPoint"/>; with <paramref name="force"/>, moves an existing one (not the checked-out one).</summary>
    public RefChange CreateBranch(string name, string startPoint = "HEAD", bool force = false) =>
        CreateRef(RefName.Branch(name), startPoint, force, $"branch: created from {startPoint}", old =>
        {
            if (old is not null && name == CurrentBranch)
            {
                throw new RefConflictException($"Cannot force-update branch '{name}': it is checked out.");
            }
        });

    /// <summary>Deletes a branch. The checked-out branch cannot be deleted, nor one that is not merged into HEAD unless <paramref name="force"/>.</summary>
    /// <exception cref="BranchNotMergedException">Its commits are not all reachable from HEAD, and <paramref name="force"/> is off.</exception>
    public RefChange DeleteBranch(string name, bool force = false)
    {
        var branch = RefName.Branch(name);
        if (name == CurrentBranch)
        {
            throw new RefConflictException($"Cannot delete branch '{name}': it is checked out.");
        }

        var tip = _database.GetRef(branch.FullName) ?? throw new ObjectNotFoundException($"Branch '{name}' not found.");

        // Deleting an unmerged branch makes its commits unreachable, and gc would then free their chunks.
        if (!force && (Head is not { } head || !IsAncestor(tip, head)))
        {
            throw new BranchNotMergedException($"The branch '{name}' is not fully merged into HEAD; to delete it anyway use 'lmvp branch -D {name}'.");
        }

        using (_database.ReflogMessage("branch: deleted"))
        {
            _database.DeleteRef(branch.FullName);
        }

        return new RefChange(branch, tip, null);
    }

    /// <summary>Renames a branch (HEAD follows if it was checked out), in one transaction; with <paramref name="force"/>, over an existing branch.</summary>
    public RefChange RenameBranch(string oldName, string newName, bool force = false)
    {
        var from = RefName.Branch(oldName);
        var to = RefName.Branch(newName);
        ObjectId target = default;
        using var message = _database.ReflogMessage($"branch: renamed {oldName} to {newName}");
        _database.InTransaction(() =>
        {
            target = _database.GetRef(from.FullName) ?? throw new ObjectNotFoundException($"Branch '{oldName}' not found.");
            if (from == to)
            {
                return;
            }

            if (_database.GetRef(to.FullName) is not null)
            {
                if (!force)
                {
                    throw new RefConflictException($"A branch named '{newName}' already exists.");
                }

                if (newName == CurrentBranch)
                {
                    throw new RefConflictException($"Cannot replace branch '{newName}': it is checked out.");
                }
            }

            _database.SetRef(to.FullName, target);
            _database.DeleteRef(from.FullName);
            if (CurrentBranch == oldName)
            {
                _refs.SetHeadToBranch(newName);
            }
        });
        return new RefChange(to, target, target);
    }

    /// <summary>Creates a tag at <paramref name="revision"/>; with <paramref name="force"/>, moves an existing one.</summary>
    public RefChange CreateTag(string name, string revision = "HEAD", bool force = false) => CreateRef(RefName.Tag(name), revision, force, $"tag: at {revision}", null);

    /// <summary>Deletes a tag.</summary>
    public RefChange DeleteTag(string name)
    {
        var tag = RefName.Tag(name);
        var old = _database.GetRef(tag.FullName) ?? throw new ObjectNotFoundException($"Tag '{name}' not found.");
        using (_database.ReflogMessage("tag: deleted"))
        {
            _database.DeleteRef(tag.FullName);
        }

        return new RefChange(tag, old, null);
    }

    /// <summary>Sets a ref by full name, optionally only if it still holds <paramref name="expected"/>.</summary>
    /// <remarks>Refuses to point a ref at a commit this repository does not hold.</remarks>
    public RefChange UpdateRef(string fullName, ObjectId target, ObjectId? expected = null, bool checkExpected = false)
    {
        var name = RefName.Parse(fullName);
        if (!_database.HasObject(target, ObjectKind.Commit))
        {
            throw new ObjectNotFoundException($"Cannot point {fullName} at {target.ToShortString()}: no such commit.");
        }

        ObjectId? old = null;
        using var message = _database.ReflogMessage("update-ref");
        _database.InTransaction(() =>
        {
            old = _database.GetRef(fullName);
            if (checkExpected)
            {
                _database.CompareAndSwapRef(fullName, expected, target);
            }
            else
            {
                _database.SetRef(fullName, target);
            }
        });
        return new RefChange(name, old, target);
    }

    /// <summary>Deletes a ref by full name; true if it existed.</summary>
    public bool DeleteRef(string fullName)
    {
        using var message = _database.ReflogMessage("delete-ref");
        return _database.DeleteRef(fullName);
    }

    /// <summary>
    /// Resolves a revision to a commit id: a full or unique short id (4+ hex digits), a branch, a tag,
    /// a remote-tracking branch (origin/main), HEAD, each optionally followed by ~N or ^ (first parent).
    /// </summary>
    /// <exception cref="ObjectNotFoundException">It names nothing.</exception>
    /// <exception cref="AmbiguousRevisionException">A short id matches several commits.</exception>
    public ObjectId ResolveCommit(string revision) => RevisionResolver.Resolve(_refs, _store, revision);

    /// <summary>Resolves a revision, returning false instead of throwing when it names nothing.</summary>
    public bool TryResolveCommit(string revision, out ObjectId id)
    {
        try
        {
            id = ResolveCommit(revision);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            id = default;
            return false;
        }
    }

    /// <summary>Points a new ref (or, with <paramref name="force"/>, an existing one) at a revision, in one transaction.</summary>
    private RefChange CreateRef(RefName name, string revision, bool force, string reflogMessage, Action<ObjectId?>? check)
    {
        var target = ResolveCommit(revision);
        ObjectId? old = null;
        using var message = _database.ReflogMessage(reflogMessage);
        _database.InTransaction(() =>
        {
            old = _database.GetRef(name.FullName);
            if (old is not null && !force)
            {
                throw new RefConflictException($"A {(name.IsTag ? "tag" : "branch")} named '{name.ShortName}' already exists.");
            }

            check?.Invoke(old);
            _database.SetRef(name.FullName, target);
        });
        return new RefChange(name, old, target);
    }

    private void SetHeadToBranch(string branch) => _refs.SetHeadToBranch(branch);

    private void SetHeadDetached(ObjectId id) => _refs.SetHeadDetached(id);

    /// <summary>Moves whatever HEAD points at (its branch, or HEAD itself when detached) to <paramref name="target"/>.</summary>
    private void AdvanceHead(ObjectId? expected, ObjectId target)
    {
        var branch = CurrentBranch;
        if (branch is not null)
        {
            _database.CompareAndSwapRef(RefName.Branch(branch).FullName, expected, target);
        }
        else
        {
            if (Head != expected)
            {
                throw new RefConflictException("HEAD moved while the commit was being made.");
            }

            SetHeadDetached(target);
        }
    }
}
