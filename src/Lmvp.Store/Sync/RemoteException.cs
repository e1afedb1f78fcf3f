namespace Lmvp.Store.Sync;

/// <summary>A server refused a request or could not be reached; the message names the server and what to do.</summary>
public class RemoteException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public RemoteException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RemoteException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public RemoteException() { }

    /// <summary>Creates the exception for an HTTP answer.</summary>
    public RemoteException(string message, int statusCode, string? serverMessage) : base(message)
    {
        StatusCode = statusCode;
        ServerMessage = serverMessage;
    }

    /// <summary>The HTTP status of the refusal, or null when the server was not reached.</summary>
    public int? StatusCode { get; }

    /// <summary>The server's own one-line explanation, when it gave one.</summary>
    public string? ServerMessage { get; }
}

/// <summary>The server did not accept the token (none, unknown, expired or revoked): run <c>lmvp login</c>.</summary>
public sealed class AuthenticationFailedException : RemoteException
{
    /// <summary>Creates the exception.</summary>
    public AuthenticationFailedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public AuthenticationFailedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public AuthenticationFailedException() { }

    /// <summary>Creates the exception for a 401 answer.</summary>
    public AuthenticationFailedException(string message, string? serverMessage) : base(message, 401, serverMessage) { }
}
