namespace Lmvp.Store.Protocol;

// The JSON bodies of docs/PROTOCOL.md (camelCase on the wire, ids as 64 lowercase hex digits). The client and lmvp-server
// both use these types, so a change to the protocol is one change here.

/// <summary>A repository's refs (full name to commit id) and its default branch.</summary>
/// <param name="Head">The default branch's short name.</param>
/// <param name="Refs">Every branch and tag.</param>
public sealed record RefsResponse(string Head, IReadOnlyDictionary<string, string> Refs);

/// <summary>A batch of object or chunk ids (at most <see cref="ProtocolLimits.MaxIdsPerRequest"/>).</summary>
/// <param name="Ids">The ids.</param>
public sealed record IdListRequest(IReadOnlyList<string> Ids);

/// <summary>The asked ids the server lacks, in the order asked.</summary>
/// <param name="Missing">The ids.</param>
public sealed record MissingResponse(IReadOnlyList<string> Missing);

/// <summary>How many objects or chunks an upload newly kept.</summary>
/// <param name="Stored">The count.</param>
public sealed record StoredResponse(int Stored);

/// <summary>Commits the client wants, and commits it already has (whose history the answer leaves out).</summary>
/// <param name="Want">Commits to send with everything they reach.</param>
/// <param name="Have">Commits the client holds completely.</param>
public sealed record ClosureRequest(IReadOnlyList<string> Want, IReadOnlyList<string>? Have = null);

/// <summary>Move a ref by compare-and-swap.</summary>
/// <param name="Name">The full ref name (refs/heads/main, refs/tags/v1).</param>
/// <param name="Old">The commit the ref must hold now, or null when it must not exist.</param>
/// <param name="New">The commit it moves to.</param>
/// <param name="Force">Allow a move that is not a fast-forward (and moving a tag).</param>
public sealed record RefUpdateRequest(string Name, string? Old, string New, bool Force = false);

/// <summary>A ref after a successful update.</summary>
/// <param name="Name">The full ref name.</param>
/// <param name="New">The commit it now holds.</param>
public sealed record RefUpdateResponse(string Name, string New);

/// <summary>The body of every error answer.</summary>
/// <param name="Error">One line for a person.</param>
public sealed record ApiError(string Error)
{
    /// <summary>What a program can act on, when the status alone does not say it: one of <see cref="ApiErrorCodes"/>, or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Code { get; init; }
}

/// <summary>The machine-readable codes of <see cref="ApiError.Code"/>.</summary>
public static class ApiErrorCodes
{
    /// <summary>The server's stored copy of something asked for is damaged: asking again gets the same answer.</summary>
    public const string Damaged = "damaged";

    /// <summary>The server's storage is full (507): nothing was kept, and nothing can be until space is freed.</summary>
    public const string StorageFull = "storage_full";

    /// <summary>Too many failed sign-ins for the account or from the address (429, with Retry-After).</summary>
    public const string Throttled = "throttled";
}

/// <summary>Who a token belongs to, as the server sees it.</summary>
/// <param name="Username">The user.</param>
/// <param name="IsAdmin">True for a server administrator.</param>
/// <param name="AuthMethod">How the token authenticated ("token" for a personal access token, "session").</param>
/// <param name="Scope">The token's scope (read, write, admin).</param>
public sealed record CurrentUserResponse(string Username, bool IsAdmin, string AuthMethod, string Scope);
