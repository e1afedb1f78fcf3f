namespace Lmvp.Store;

/// <summary>A branch is not merged into HEAD, so deleting it would leave its commits unreachable; force the delete to do it anyway.</summary>
public sealed class BranchNotMergedException : LmvpException
{
    /// <summary>Creates the exception.</summary>
    public BranchNotMergedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public BranchNotMergedException() { }

    /// <summary>Creates the exception.</summary>
    public BranchNotMergedException(string message, Exception innerException) : base(message, innerException) { }
}
