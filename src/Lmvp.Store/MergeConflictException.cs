namespace Lmvp.Store;

/// <summary>Both sides of a merge changed the same path; nothing was changed.</summary>
public sealed class MergeConflictException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public MergeConflictException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public MergeConflictException() { }

    /// <summary>Creates the exception.</summary>
    public MergeConflictException(string message, Exception innerException) : base(message, innerException) { }
}
