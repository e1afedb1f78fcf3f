namespace Lmvp.Store;

/// <summary>Where the training code stood when a commit was made: the enclosing git repository's state.</summary>
/// <param name="GitCommit">The git HEAD commit (40 hex digits).</param>
/// <param name="Branch">The checked-out branch, or null when HEAD is detached.</param>
/// <param name="IsDirty">True when the git work tree had uncommitted changes.</param>
/// <param name="OriginUrl">The URL of the git remote named origin, or null.</param>
public sealed record Provenance(string GitCommit, string? Branch, bool IsDirty, string? OriginUrl);
