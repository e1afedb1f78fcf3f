using Lmvp.Store;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Storage;

/// <summary>A user account.</summary>
internal sealed record UserRecord(long Id, string Name, string? PasswordHash, bool IsAdmin, bool IsDisabled, DateTimeOffset CreatedAt);

/// <summary>A personal access token (its value is never stored, only its hash).</summary>
internal sealed record TokenRecord(long Id, long UserId, string Name, AccessLevel Scope, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>A sign-in session: the refresh tokens and access tokens issued from one login.</summary>
internal sealed record SessionRecord(string Id, long UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>An invitation to register, optionally into a repository with a role.</summary>
internal sealed record InvitationRecord(long Id, long CreatedBy, long? RepositoryId, AccessLevel Role, bool MakeAdmin,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, long? UsedBy);

/// <summary>A repository and its owner's name.</summary>
internal sealed record RepositoryRecord(long Id, long OwnerId, string Owner, string Name, bool IsPrivate, string Description,
    string DefaultBranch, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public string FullName => Owner + "/" + Name;
}

/// <summary>A member of a repository and their role.</summary>
internal sealed record MemberRecord(long UserId, string UserName, AccessLevel Role);

/// <summary>A verified metadata object (tree, commit or manifest) as it is stored.</summary>
internal readonly record struct MetadataObject(ObjectId Id, ObjectKind Kind, ReadOnlyMemory<byte> Data);

/// <summary>Where one chunk is: the pack blob holding it and its entry there.</summary>
internal sealed record ChunkLocation(string Pack, PackEntry Entry);

/// <summary>A pack a repository's chunks are in.</summary>
internal sealed record PackRecord(string Name, long Size, int Chunks);

/// <summary>A pack to record in the chunk index: its repository, name, size and entries.</summary>
internal sealed record NewPack(long RepositoryId, string Name, long Size, IReadOnlyList<PackEntry> Entries);

/// <summary>A whole-file upload session: bytes received so far, and once finished the file they became.</summary>
internal sealed record UploadRecord(string Id, long RepositoryId, long UserId, long? DeclaredSize, long Received, ObjectId? FileId, byte[]? Sha256,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    public bool IsFinished => FileId is not null;
}

/// <summary>One received part of an upload: the blob holding bytes [Start, Start + Length) of the file.</summary>
internal sealed record UploadPart(long Start, long Length, string Blob);

/// <summary>What a gc sweep deleted.</summary>
internal sealed record SweepResult(int Chunks, long ChunkBytes, IReadOnlyList<string> Packs);

/// <summary>The outcome of a compare-and-swap on a ref.</summary>
internal enum RefUpdateOutcome
{
    /// <summary>The ref now holds the new target.</summary>
    Updated,

    /// <summary>The ref did not hold the expected value; nothing changed.</summary>
    Conflict,
}

/// <summary>The outcome of spending a refresh token.</summary>
internal enum RefreshOutcome
{
    /// <summary>The old token is spent and the new one is stored.</summary>
    Rotated,

    /// <summary>No such token, or it or its session expired or was revoked.</summary>
    Invalid,

    /// <summary>The token had been spent before: the session is now revoked.</summary>
    Reused,
}

/// <summary>The outcome of redeeming an invitation.</summary>
internal enum RedeemOutcome
{
    /// <summary>The user was created (and added to the repository).</summary>
    Created,

    /// <summary>No such invitation, or it was used or expired.</summary>
    InvalidCode,

    /// <summary>The user name is taken.</summary>
    NameTaken,
}

/// <summary>Who moved a ref and how, recorded with the move in the same transaction.</summary>
/// <param name="Kind">What the move was: <see cref="RefMoveKinds"/>.</param>
/// <param name="Via">The way it came: push, api, web or restore.</param>
/// <param name="UserId">The user, or null for the server itself.</param>
/// <param name="UserName">The user's name at the time.</param>
/// <param name="TokenId">The personal access token used, or null (a session, the web).</param>
/// <param name="AuthMethod">How the user was signed in: token, session or web.</param>
internal sealed record RefMoveLog(string Kind, string Via, long? UserId, string UserName, long? TokenId, string AuthMethod);

/// <summary>The kinds of ref move the history records.</summary>
internal static class RefMoveKinds
{
    public const string Create = "create";
    public const string FastForward = "fast-forward";
    public const string Force = "force";
    public const string Delete = "delete";
    public const string Restore = "restore";
}

/// <summary>One recorded ref move: which ref, from what to what, when, by whom and with which token.</summary>
internal sealed record RefHistoryRecord(long Id, long RepositoryId, string Name, ObjectId? Old, ObjectId? New, string Kind, string Via, long? UserId,
    string UserName, long? TokenId, string? TokenName, string AuthMethod, DateTimeOffset At);

/// <summary>One security event of the audit log.</summary>
/// <param name="Id">Its number (0 before it is stored); later events have higher numbers.</param>
/// <param name="At">When.</param>
/// <param name="Kind">What happened: <see cref="AuditKinds"/>.</param>
/// <param name="ActorId">Who did it, or null (someone not signed in, the server itself).</param>
/// <param name="ActorName">Their name, or the name someone tried to sign in as.</param>
/// <param name="Address">The client address, or "" (a shell command).</param>
/// <param name="RepositoryId">The repository it concerns, or null.</param>
/// <param name="Repository">Its owner/name at the time, or "".</param>
/// <param name="Subject">What it was done to: a user, a token, a ref.</param>
/// <param name="Detail">One line with the rest (a role, a token's scope, old and new ids).</param>
internal sealed record AuditRecord(long Id, DateTimeOffset At, string Kind, long? ActorId, string ActorName, string Address, long? RepositoryId,
    string Repository, string Subject, string Detail);

/// <summary>The kinds of audit event.</summary>
internal static class AuditKinds
{
    public const string SignIn = "signin";
    public const string SignInFailed = "signin.failed";
    public const string SignInThrottled = "signin.throttled";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string MemberSet = "member.set";
    public const string MemberRemoved = "member.removed";
    public const string UserCreated = "user.created";
    public const string UserChanged = "user.changed";
    public const string RefForced = "ref.forced";
    public const string RefDeleted = "ref.deleted";
    public const string RefRestored = "ref.restored";
    public const string ProtectionChanged = "protection.changed";
}

/// <summary>Which audit events to list: newest first, optionally of some kinds, by one actor, before an entry number.</summary>
internal sealed record AuditQuery(IReadOnlyList<string>? Kinds = null, string? ActorName = null, long? Before = null, int Limit = 100);

/// <summary>Failed sign-ins counted under one key (an account or a client address) since the start of its window.</summary>
internal sealed record SignInFailures(string Key, int Failures, DateTimeOffset WindowStart);
