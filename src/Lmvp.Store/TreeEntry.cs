namespace Lmvp.Store;

/// <summary>What a tree entry names.</summary>
public enum TreeEntryKind : byte
{
    /// <summary>A regular file; its id is the BLAKE3 of its content.</summary>
    File = 1,

    /// <summary>A directory; its id is a tree id.</summary>
    Directory = 2,

    /// <summary>A symbolic link, stored as its target text and never followed.</summary>
    Symlink = 3,
}

/// <summary>One name in a tree.</summary>
/// <param name="Name">A single path component (no slash, not "." or "..").</param>
/// <param name="Kind">File, directory or symlink.</param>
/// <param name="IsExecutable">The executable bit (files only).</param>
/// <param name="Size">Content size in bytes (files), target length (symlinks), 0 for directories.</param>
/// <param name="Id">File id, tree id, or the BLAKE3 of a symlink's target.</param>
/// <param name="LinkTarget">The symlink target, or null.</param>
public sealed record TreeEntry(string Name, TreeEntryKind Kind, bool IsExecutable, long Size, ObjectId Id, string? LinkTarget = null)
{
    /// <summary>True when both name the same content: same kind, id, executable bit and link target (names may differ).</summary>
    public bool SameContent(TreeEntry other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Kind == other.Kind && Id == other.Id && IsExecutable == other.IsExecutable && LinkTarget == other.LinkTarget;
    }
}
