namespace Lmvp.Store;

/// <summary>No LMVP repository was found at or above a directory.</summary>
public sealed class RepositoryNotFoundException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RepositoryNotFoundException() { }

    /// <summary>Creates the exception.</summary>
    public RepositoryNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}
