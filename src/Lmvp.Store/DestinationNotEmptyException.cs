namespace Lmvp.Store;

/// <summary>The directory to create a repository in is not empty, or already holds a repository.</summary>
public sealed class DestinationNotEmptyException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public DestinationNotEmptyException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public DestinationNotEmptyException() { }

    /// <summary>Creates the exception.</summary>
    public DestinationNotEmptyException(string message, Exception innerException) : base(message, innerException) { }
}
