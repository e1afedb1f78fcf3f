namespace Lmvp.Store;

/// <summary>A short id matches more than one commit; use more digits.</summary>
public sealed class AmbiguousRevisionException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public AmbiguousRevisionException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public AmbiguousRevisionException() { }

    /// <summary>Creates the exception.</summary>
    public AmbiguousRevisionException(string message, Exception innerException) : base(message, innerException) { }
}
