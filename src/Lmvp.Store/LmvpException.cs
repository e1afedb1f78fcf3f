namespace Lmvp.Store;

/// <summary>The base of every failure LMVP reports; its message is one line meant for a person.</summary>
public class LmvpException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public LmvpException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the failure that caused it.</summary>
    public LmvpException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with no message.</summary>
    public LmvpException() { }
}
