namespace Lmvp.Store;

/// <summary>Stored or received bytes do not match their id or cannot be decoded.</summary>
public sealed class CorruptObjectException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public CorruptObjectException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public CorruptObjectException() { }

    /// <summary>Creates the exception.</summary>
    public CorruptObjectException(string message, Exception innerException) : base(message, innerException) { }
}
