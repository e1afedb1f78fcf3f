namespace Lmvp.Store;

/// <summary>An object, chunk or revision that was asked for does not exist.</summary>
public sealed class ObjectNotFoundException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public ObjectNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ObjectNotFoundException() { }

    /// <summary>Creates the exception.</summary>
    public ObjectNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}
