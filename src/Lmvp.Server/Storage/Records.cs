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
