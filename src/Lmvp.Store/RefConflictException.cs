namespace Lmvp.Store;

/// <summary>A ref did not hold the value a compare-and-swap expected, or a name is already taken.</summary>
public sealed class RefConflictException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public RefConflictException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RefConflictException() { }

    /// <summary>Creates the exception.</summary>
    public RefConflictException(string message, Exception innerException) : base(message, innerException) { }
}
