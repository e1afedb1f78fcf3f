namespace Lmvp.Store;

/// <summary>Uncommitted changes in the working tree would be overwritten or lost; nothing was changed.</summary>
public sealed class WorkingTreeDirtyException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public WorkingTreeDirtyException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public WorkingTreeDirtyException() { }

    /// <summary>Creates the exception.</summary>
    public WorkingTreeDirtyException(string message, Exception innerException) : base(message, innerException) { }
}
