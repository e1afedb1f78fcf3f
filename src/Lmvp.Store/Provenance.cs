namespace Lmvp.Store;

/// <summary>Where the training code stood when a commit was made: the enclosing git repository's state.</summary>
/// <param name="GitCommit">The git HEAD commit (40 hex digits).</param>
/// <param name="Branch">The checked-out branch, or null when HEAD is detached.</param>
/// <param name="IsDirty">True when the git work tree had uncommitted changes.</param>
/// <param name="OriginUrl">The URL of the git remote named origin, or null.</param>
public sealed record Provenance(string GitCommit, string? Branch, bool IsDirty, string? OriginUrl)
{
    /// <summary>The files git tracks that had uncommitted changes, relative to the git work tree's root, in name order
    /// (at most <see cref="Commit.MaxDirtyFiles"/>); empty for older commits, which recorded only <see cref="IsDirty"/>.</summary>
    public IReadOnlyList<string> DirtyFiles { get; init; } = [];

    /// <summary>Equal git state, dirty file names included.</summary>
    public bool Equals(Provenance? other) =>
        other is not null && GitCommit == other.GitCommit && Branch == other.Branch && IsDirty == other.IsDirty && OriginUrl == other.OriginUrl
        && DirtyFiles.SequenceEqual(other.DirtyFiles, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(GitCommit, Branch, IsDirty, OriginUrl, DirtyFiles.Count);
}
