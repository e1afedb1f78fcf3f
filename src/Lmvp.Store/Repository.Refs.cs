using System.Globalization;
using Lmvp.Store.Packs;

namespace Lmvp.Store;

/// <summary>A branch and where it points.</summary>
public sealed record BranchInfo(string Name, ObjectId Target, bool IsCurrent);

public sealed partial class Repository
{
    /// <summary>The checked-out branch, or null when HEAD is detached.</summary>
    public string? CurrentBranch
    {
        get
        {
            var head = _database.GetMeta("HEAD") ?? "ref: " + HeadsPrefix + DefaultBranch;
            return head.StartsWith("ref: " + HeadsPrefix, StringComparison.Ordinal) ? head[("ref: " + HeadsPrefix).Length..] : null;
        }
    }

    /// <summary>The commit HEAD points at, or null before the first commit.</summary>
    public ObjectId? Head
    {
        get
        {
            var head = _database.GetMeta("HEAD") ?? "ref: " + HeadsPrefix + DefaultBranch;
            return head.StartsWith("ref: ", StringComparison.Ordinal) ? _database.GetRef(head[5..]) : ObjectId.Parse(head);
        }
    }

    /// <summary>Branches, sorted by name.</summary>
    public IReadOnlyList<BranchInfo> ListBranches()
    {
        var current = CurrentBranch;
        return _database.ListRefs(HeadsPrefix)
            .Select(r => new BranchInfo(r.Key[HeadsPrefix.Length..], r.Value, r.Key[HeadsPrefix.Length..] == current))
            .ToList();
    }

    /// <summary>Tags, sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListTags() =>
        _database.ListRefs(TagsPrefix).Select(r => new KeyValuePair<string, ObjectId>(r.Key[TagsPrefix.Length..], r.Value)).ToList();

    /// <summary>Every ref (branches, tags, remote-tracking) with its full name.</summary>
    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListRefs(string prefix = "refs/") => _database.ListRefs(prefix);

    /// <summary>Reads a ref by full name (refs/heads/main), or null.</summary>
    public ObjectId? GetRef(string fullName) => _database.GetRef(fullName);

    /// <summary>Creates a branch at <paramref name="startPoint"/>.</summary>
    public void CreateBranch(string name, string startPoint = "HEAD", bool force = false)
    {
        ValidateRefName(name, "branch");
        var target = ResolveCommit(startPoint);
        if (!force && _database.GetRef(HeadsPrefix + name) is not null)
        {
            throw new RefConflictException($"A branch named '{name}' already exists.");
        }

        _database.SetRef(HeadsPrefix + name, target);
    }

    /// <summary>Deletes a branch; the checked-out branch cannot be deleted.</summary>
    public void DeleteBranch(string name)
    {
        if (name == CurrentBranch)
        {
            throw new LmvpException($"Cannot delete branch '{name}': it is checked out.");
        }

        if (!_database.DeleteRef(HeadsPrefix + name))
        {
            throw new ObjectNotFoundException($"Branch '{name}' not found.");
        }
    }

    /// <summary>Renames a branch (HEAD follows if it was checked out).</summary>
    public void RenameBranch(string oldName, string newName)
    {
        ValidateRefName(newName, "branch");
        var target = _database.GetRef(HeadsPrefix + oldName) ?? throw new ObjectNotFoundException($"Branch '{oldName}' not found.");
        _database.InTransaction(() =>
        {
            if (_database.GetRef(HeadsPrefix + newName) is not null)
            {
                throw new RefConflictException($"A branch named '{newName}' already exists.");
            }

            _database.SetRef(HeadsPrefix + newName, target);
            _database.DeleteRef(HeadsPrefix + oldName);
            if (CurrentBranch == oldName)
            {
                _database.SetMeta("HEAD", "ref: " + HeadsPrefix + newName);
            }
        });
    }

    /// <summary>Creates a tag at <paramref name="revision"/>.</summary>
    public void CreateTag(string name, string revision = "HEAD", bool force = false)
    {
        ValidateRefName(name, "tag");
        var target = ResolveCommit(revision);
        if (!force && _database.GetRef(TagsPrefix + name) is not null)
        {
            throw new RefConflictException($"A tag named '{name}' already exists.");
        }

        _database.SetRef(TagsPrefix + name, target);
    }

    /// <summary>Deletes a tag.</summary>
    public void DeleteTag(string name)
    {
        if (!_database.DeleteRef(TagsPrefix + name))
        {
            throw new ObjectNotFoundException($"Tag '{name}' not found.");
        }
    }

    /// <summary>Sets a ref by full name, optionally only if it still holds <paramref name="expected"/>.</summary>
    /// <remarks>Refuses to point a ref at a commit this repository does not hold.</remarks>
    public void UpdateRef(string fullName, ObjectId target, ObjectId? expected = null, bool checkExpected = false)
    {
        if (!_database.HasObject(target, EntryKind.Commit))
        {
            throw new ObjectNotFoundException($"Cannot point {fullName} at {target.ToShortString()}: no such commit.");
        }

        if (checkExpected)
        {
            _database.CompareAndSwapRef(fullName, expected, target);
        }
        else
        {
            _database.SetRef(fullName, target);
        }
    }

    /// <summary>Deletes a ref by full name; true if it existed.</summary>
    public bool DeleteRef(string fullName) => _database.DeleteRef(fullName);

    /// <summary>
    /// Resolves a revision to a commit id: a full or unique short id (4+ hex digits), a branch, a tag,
    /// a remote-tracking branch (origin/main), HEAD, each optionally followed by ~N or ^ (first parent).
    /// </summary>
    public ObjectId ResolveCommit(string revision)
    {
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var (baseName, steps) = SplitAncestry(revision);
        var id = ResolveBase(baseName, revision);
        for (var i = 0; i < steps; i++)
        {
            var commit = _store.GetCommit(id);
            if (commit.Parents.Count == 0)
            {
                throw new ObjectNotFoundException($"Revision '{revision}' goes past the first commit.");
            }

            id = commit.Parents[0];
        }

        return id;
    }

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

    private ObjectId ResolveBase(string name, string revision)
    {
        if (name is "HEAD" or "@")
        {
            return Head ?? throw new ObjectNotFoundException("HEAD does not point at a commit yet: make the first commit.");
        }

        foreach (var candidate in new[] { name, HeadsPrefix + name, TagsPrefix + name, RemotesPrefix + name })
        {
            if (candidate.StartsWith("refs/", StringComparison.Ordinal) && _database.GetRef(candidate) is { } target)
            {
                return target;
            }
        }

        if (name.Length >= 4 && name.Length <= ObjectId.HexLength && name.All(Uri.IsHexDigit))
        {
            var matches = _database.FindByPrefix(name.ToLowerInvariant(), EntryKind.Commit, 2);
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new LmvpException($"Short id '{name}' is ambiguous: use more digits.");
            }
        }

        throw new ObjectNotFoundException($"Unknown revision '{revision}'.");
    }

    private static (string Base, int Steps) SplitAncestry(string revision)
    {
        var steps = 0;
        var end = revision.Length;
        while (end > 0)
        {
            if (revision[end - 1] == '^')
            {
                steps++;
                end--;
                continue;
            }

            var tilde = revision.LastIndexOf('~', end - 1);
            if (tilde > 0)
            {
                var digits = revision[(tilde + 1)..end];
                if (digits.Length == 0)
                {
                    steps++;
                    end = tilde;
                    continue;
                }

                if (digits.All(char.IsAsciiDigit) && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    steps = (int)Math.Min((long)steps + n, int.MaxValue); // never wraps round to "no steps"
                    end = tilde;
                    continue;
                }
            }

            break;
        }

        return (revision[..end], steps);
    }

    internal static void ValidateRefName(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name.StartsWith('-') || name.StartsWith('/') || name.EndsWith('/') || name.EndsWith(".lock", StringComparison.Ordinal)
            || name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal) || name == "HEAD" || name == "@"
            || name.Any(c => char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\'))
        {
            throw new ArgumentException($"'{name}' is not a valid {what} name.", nameof(name));
        }
    }

    private void SetHeadToBranch(string branch) => _database.SetMeta("HEAD", "ref: " + HeadsPrefix + branch);

    private void SetHeadDetached(ObjectId id) => _database.SetMeta("HEAD", id.ToString());

    /// <summary>Moves whatever HEAD points at (its branch, or HEAD itself when detached) to <paramref name="target"/>.</summary>
    private void AdvanceHead(ObjectId? expected, ObjectId target)
    {
        var branch = CurrentBranch;
        if (branch is not null)
        {
            _database.CompareAndSwapRef(HeadsPrefix + branch, expected, target);
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
