namespace Lmvp.Server.Storage;

/// <summary>A role in a repository or the scope of a token; higher values include the lower ones.</summary>
internal enum AccessLevel
{
    /// <summary>No access: the repository is invisible.</summary>
    None = 0,

    /// <summary>Read refs, objects and chunks.</summary>
    Read = 1,

    /// <summary>Push: upload objects and chunks, move refs.</summary>
    Write = 2,

    /// <summary>Manage members, invitations and tokens.</summary>
    Admin = 3,
}

/// <summary>The wire names of <see cref="AccessLevel"/>.</summary>
internal static class AccessLevels
{
    public static string ToName(this AccessLevel level) => level switch
    {
        AccessLevel.Read => "read",
        AccessLevel.Write => "write",
        AccessLevel.Admin => "admin",
        _ => "none",
    };

    /// <summary>Parses "read", "write" or "admin" (case-insensitive).</summary>
    public static bool TryParse(string? name, out AccessLevel level)
    {
        level = name?.ToUpperInvariant() switch
        {
            "READ" => AccessLevel.Read,
            "WRITE" => AccessLevel.Write,
            "ADMIN" => AccessLevel.Admin,
            _ => AccessLevel.None,
        };
        return level != AccessLevel.None;
    }

    public static AccessLevel Min(AccessLevel a, AccessLevel b) => a < b ? a : b;
}
