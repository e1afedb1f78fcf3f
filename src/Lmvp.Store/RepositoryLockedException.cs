namespace Lmvp.Store;

/// <summary>Another lmvp process holds the repository for maintenance (gc, an index rebuild, or a write gc must not overlap); try again when it ends.</summary>
public sealed class RepositoryLockedException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryLockedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RepositoryLockedException() { }

    /// <summary>Creates the exception.</summary>
    public RepositoryLockedException(string message, Exception innerException) : base(message, innerException) { }
}
