using Lmvp.Store;

namespace Lmvp.Server.Storage;

/// <summary>Everything the server keeps except chunk bytes: users, tokens, sessions, invitations, repositories,
/// members, refs and metadata objects.</summary>
/// <remarks>
/// The seam for a PostgreSQL implementation: endpoints use only this interface. Implementations must be safe to call
/// from many requests at once; every method that changes several rows does so in one transaction, and
/// <see cref="CompareAndSwapRefAsync"/> must let exactly one of several concurrent updates from the same old value win.
/// Secrets (token values, refresh tokens, invitation codes) arrive here already hashed.
/// </remarks>
internal interface IMetadataStore
{
    // ---- users ----

    Task<long> CountUsersAsync(CancellationToken cancellationToken);

    /// <summary>Creates a user; null when the name is taken.</summary>
    Task<UserRecord?> CreateUserAsync(string name, string? passwordHash, bool isAdmin, CancellationToken cancellationToken);

    Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken);

    Task<UserRecord?> GetUserAsync(long userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken);

    Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken);

    /// <summary>Changes whether a user is a server admin or disabled (null leaves a flag as it is); the user after, or null.</summary>
    Task<UserRecord?> UpdateUserAsync(long userId, bool? isAdmin, bool? isDisabled, CancellationToken cancellationToken);

    // ---- personal access tokens ----

    Task<TokenRecord> CreateTokenAsync(long userId, string name, byte[] hash, AccessLevel scope, DateTimeOffset? expiresAt, CancellationToken cancellationToken);

    /// <summary>The token with this hash and its user, whatever its state (the caller checks expiry and revocation).</summary>
    Task<(TokenRecord Token, UserRecord User)?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken);

    Task<IReadOnlyList<TokenRecord>> ListTokensAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Revokes one of the user's tokens; false when the user has no such token.</summary>
    Task<bool> RevokeTokenAsync(long userId, long tokenId, CancellationToken cancellationToken);

    Task TouchTokenAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken);

    // ---- sessions and refresh tokens ----

    Task<SessionRecord> CreateSessionAsync(long userId, string sessionId, byte[] refreshHash, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    Task<SessionRecord?> GetSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Spends a refresh token and stores its successor in one transaction.</summary>
    Task<(RefreshOutcome Outcome, SessionRecord? Session)> RotateRefreshTokenAsync(byte[] oldHash, byte[] newHash, DateTimeOffset newExpiresAt,
        DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The session a refresh token belongs to, or null.</summary>
    Task<SessionRecord?> FindSessionByRefreshAsync(byte[] refreshHash, CancellationToken cancellationToken);

    Task RevokeSessionAsync(string sessionId, DateTimeOffset when, CancellationToken cancellationToken);

    // ---- invitations ----

    Task<InvitationRecord> CreateInvitationAsync(long createdBy, byte[] codeHash, long? repositoryId, AccessLevel role, bool makeAdmin,
        DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Invitations made by <paramref name="createdBy"/>, or all of them when null.</summary>
    Task<IReadOnlyList<InvitationRecord>> ListInvitationsAsync(long? createdBy, CancellationToken cancellationToken);

    Task<InvitationRecord?> GetInvitationAsync(long invitationId, CancellationToken cancellationToken);

    Task<bool> DeleteInvitationAsync(long invitationId, CancellationToken cancellationToken);

    /// <summary>Spends an invitation and creates the user (and membership) in one transaction.</summary>
    Task<(RedeemOutcome Outcome, UserRecord? User)> RedeemInvitationAsync(byte[] codeHash, string userName, string passwordHash,
        DateTimeOffset now, CancellationToken cancellationToken);

    // ---- repositories and members ----

    /// <summary>Creates a repository; null when the owner already has one of that name.</summary>
    Task<RepositoryRecord?> CreateRepositoryAsync(long ownerId, string name, bool isPrivate, string description, CancellationToken cancellationToken);

    Task<RepositoryRecord?> FindRepositoryAsync(string owner, string name, CancellationToken cancellationToken);

    Task<RepositoryRecord?> GetRepositoryAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Repositories that are public, owned by <paramref name="userId"/> or shared with them (every one for a server admin),
    /// by full name, each with the user's member role (None when not a member).</summary>
    Task<IReadOnlyList<(RepositoryRecord Repository, AccessLevel MemberRole)>> ListVisibleRepositoriesAsync(long userId, bool isServerAdmin,
        CancellationToken cancellationToken);

    Task<RepositoryRecord?> UpdateRepositoryAsync(long repositoryId, bool? isPrivate, string? description, CancellationToken cancellationToken);

    /// <summary>The user's membership role in the repository (not counting ownership), or None.</summary>
    Task<AccessLevel> GetMemberRoleAsync(long repositoryId, long userId, CancellationToken cancellationToken);

    Task SetMemberAsync(long repositoryId, long userId, AccessLevel role, CancellationToken cancellationToken);

    Task<bool> RemoveMemberAsync(long repositoryId, long userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<MemberRecord>> ListMembersAsync(long repositoryId, CancellationToken cancellationToken);

    // ---- refs ----

    Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> ListRefsAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Moves a ref from <paramref name="expected"/> (null: must not exist) to <paramref name="target"/> atomically;
    /// when the repository had no branch before, <paramref name="name"/>'s branch becomes its default.</summary>
    Task<RefUpdateOutcome> CompareAndSwapRefAsync(long repositoryId, string name, ObjectId? expected, ObjectId target, CancellationToken cancellationToken);

    // ---- metadata objects ----

    /// <summary>The ids in <paramref name="ids"/> the repository does not hold, in order, each once.</summary>
    Task<IReadOnlyList<ObjectId>> FindMissingObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Stores verified objects all together or not at all; returns how many were new.</summary>
    Task<int> PutObjectsAsync(long repositoryId, IAsyncEnumerable<MetadataObject> objects, CancellationToken cancellationToken);

    Task<MetadataObject?> GetObjectAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="id"/> (a commit or tree) was marked as having its whole closure present.</summary>
    Task<bool> IsCompleteAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken);

    Task MarkCompleteAsync(long repositoryId, IReadOnlyCollection<ObjectId> ids, CancellationToken cancellationToken);
}
