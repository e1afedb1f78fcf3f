namespace Lmvp.Store;

/// <summary>A commit would record nothing new.</summary>
public sealed class NothingToCommitException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public NothingToCommitException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public NothingToCommitException() { }

    /// <summary>Creates the exception.</summary>
    public NothingToCommitException(string message, Exception innerException) : base(message, innerException) { }
}
