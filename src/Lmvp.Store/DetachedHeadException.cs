namespace Lmvp.Store;

/// <summary>The operation needs a checked-out branch, and HEAD is detached (it names a commit, not a branch).</summary>
public sealed class DetachedHeadException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public DetachedHeadException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public DetachedHeadException() { }

    /// <summary>Creates the exception.</summary>
    public DetachedHeadException(string message, Exception innerException) : base(message, innerException) { }
}
