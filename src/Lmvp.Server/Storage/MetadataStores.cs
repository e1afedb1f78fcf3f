using Lmvp.Store;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Storage;

// The metadata seams, one per aggregate. Every implementation is safe to call from many requests at once, changes several
// rows only in one transaction, and passes the contract suites in test/Lmvp.Server.Tests/Storage. Secrets (token values,
// refresh tokens, invitation codes) arrive already hashed. Times are kept to the millisecond.

/// <summary>User accounts.</summary>
internal interface IUserStore
{
    /// <summary>How many users exist (zero on a new server).</summary>
    Task<long> CountUsersAsync(CancellationToken cancellationToken);

    /// <summary>Creates a user; null when the name is taken (names compare case-insensitively).</summary>
    Task<UserRecord?> CreateUserAsync(string name, string? passwordHash, bool isAdmin, CancellationToken cancellationToken);

    /// <summary>The user of that name (any case), or null.</summary>
    Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken);

    /// <summary>The user with that id, or null.</summary>
    Task<UserRecord?> GetUserAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Every user, by name.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken);

    /// <summary>Replaces a user's password hash.</summary>
    Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken);

    /// <summary>Changes whether a user is a server admin or disabled (null leaves a flag as it is); the user after, or null.</summary>
    Task<UserRecord?> UpdateUserAsync(long userId, bool? isAdmin, bool? isDisabled, CancellationToken cancellationToken);
}

/// <summary>Personal access tokens, stored as hashes.</summary>
internal interface ITokenStore
{
    /// <summary>Records a new token.</summary>
    Task<TokenRecord> CreateTokenAsync(long userId, string name, byte[] hash, AccessLevel scope, DateTimeOffset? expiresAt, CancellationToken cancellationToken);

    /// <summary>The token with this hash and its user, whatever its state (the caller checks expiry and revocation).</summary>
    Task<(TokenRecord Token, UserRecord User)?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken);

    /// <summary>A user's tokens, oldest first.</summary>
    Task<IReadOnlyList<TokenRecord>> ListTokensAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Revokes one of the user's tokens; false when the user has no such token.</summary>
    Task<bool> RevokeTokenAsync(long userId, long tokenId, CancellationToken cancellationToken);

    /// <summary>Records when a token was last used.</summary>
    Task TouchTokenAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken);
}

/// <summary>Sign-in sessions and their refresh tokens.</summary>
internal interface ISessionStore
{
    /// <summary>Creates a session with its first refresh token, in one transaction.</summary>
    Task<SessionRecord> CreateSessionAsync(long userId, string sessionId, byte[] refreshHash, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>The session, or null.</summary>
    Task<SessionRecord?> GetSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Spends a refresh token and stores its successor in one transaction; a token spent twice revokes its session.</summary>
    Task<(RefreshOutcome Outcome, SessionRecord? Session)> RotateRefreshTokenAsync(byte[] oldHash, byte[] newHash, DateTimeOffset newExpiresAt,
        DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The session a refresh token belongs to, or null.</summary>
    Task<SessionRecord?> FindSessionByRefreshAsync(byte[] refreshHash, CancellationToken cancellationToken);

    /// <summary>Ends a session.</summary>
    Task RevokeSessionAsync(string sessionId, DateTimeOffset when, CancellationToken cancellationToken);
}

/// <summary>Invitations to register.</summary>
internal interface IInvitationStore
{
    /// <summary>Records an invitation.</summary>
    Task<InvitationRecord> CreateInvitationAsync(long createdBy, byte[] codeHash, long? repositoryId, AccessLevel role, bool makeAdmin,
        DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Invitations made by <paramref name="createdBy"/>, or all of them when null.</summary>
    Task<IReadOnlyList<InvitationRecord>> ListInvitationsAsync(long? createdBy, CancellationToken cancellationToken);

    /// <summary>The invitation, or null.</summary>
    Task<InvitationRecord?> GetInvitationAsync(long invitationId, CancellationToken cancellationToken);

    /// <summary>Deletes an invitation; false when there was none.</summary>
    Task<bool> DeleteInvitationAsync(long invitationId, CancellationToken cancellationToken);

    /// <summary>Spends an invitation and creates the user (and membership) in one transaction; at most one redeemer of a code wins.</summary>
    Task<(RedeemOutcome Outcome, UserRecord? User)> RedeemInvitationAsync(byte[] codeHash, string userName, string passwordHash,
        DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>Repositories and their members.</summary>
internal interface IRepositoryStore
{
    /// <summary>Creates a repository; null when the owner already has one of that name.</summary>
    Task<RepositoryRecord?> CreateRepositoryAsync(long ownerId, string name, bool isPrivate, string description, CancellationToken cancellationToken);

    /// <summary>The repository owner/name (any case), or null.</summary>
    Task<RepositoryRecord?> FindRepositoryAsync(string owner, string name, CancellationToken cancellationToken);

    /// <summary>The repository with that id, or null.</summary>
    Task<RepositoryRecord?> GetRepositoryAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Repositories that are public, owned by <paramref name="userId"/> or shared with them (every one for a server admin),
    /// by full name, each with the user's member role (None when not a member).</summary>
    Task<IReadOnlyList<(RepositoryRecord Repository, AccessLevel MemberRole)>> ListVisibleRepositoriesAsync(long userId, bool isServerAdmin,
        CancellationToken cancellationToken);

    /// <summary>Changes visibility or description (null leaves it); the repository after, or null.</summary>
    Task<RepositoryRecord?> UpdateRepositoryAsync(long repositoryId, bool? isPrivate, string? description, CancellationToken cancellationToken);

    /// <summary>The user's membership role in the repository (not counting ownership), or None.</summary>
    Task<AccessLevel> GetMemberRoleAsync(long repositoryId, long userId, CancellationToken cancellationToken);

    /// <summary>Adds a member or changes their role.</summary>
    Task SetMemberAsync(long repositoryId, long userId, AccessLevel role, CancellationToken cancellationToken);

    /// <summary>Removes a member; false when they were not one.</summary>
    Task<bool> RemoveMemberAsync(long repositoryId, long userId, CancellationToken cancellationToken);

    /// <summary>The members and their roles, by name.</summary>
    Task<IReadOnlyList<MemberRecord>> ListMembersAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>The branch names and patterns (<c>*</c> within a name component, <c>**</c> across them) protected in the repository, or
    /// null when it has never been set (the default branch is then protected).</summary>
    Task<IReadOnlyList<string>?> GetProtectedBranchesAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Sets the protected branches (an empty list protects none; null goes back to the default).</summary>
    Task SetProtectedBranchesAsync(long repositoryId, IReadOnlyList<string>? patterns, CancellationToken cancellationToken);
}

/// <summary>A repository's branches and tags.</summary>
internal interface IRefStore
{
    /// <summary>Every ref, by name.</summary>
    Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> ListRefsAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>The commit a ref points at, or null.</summary>
    Task<ObjectId?> GetRefAsync(long repositoryId, string name, CancellationToken cancellationToken);

    /// <summary>Moves a ref from <paramref name="expected"/> (null: must not exist) to <paramref name="target"/> atomically, across
    /// processes: of several concurrent updates from the same value exactly one wins. When the repository had no branch before,
    /// <paramref name="name"/>'s branch becomes its default. The move and its <paramref name="log"/> entry in the ref history are
    /// one transaction: a move is never made without its record.</summary>
    Task<RefUpdateOutcome> CompareAndSwapRefAsync(long repositoryId, string name, ObjectId? expected, ObjectId target, RefMoveLog log,
        CancellationToken cancellationToken);

    /// <summary>Deletes a ref if it still points at <paramref name="expected"/>, atomically across processes, recording it in the ref
    /// history in the same transaction.</summary>
    Task<RefUpdateOutcome> DeleteRefAsync(long repositoryId, string name, ObjectId expected, RefMoveLog log, CancellationToken cancellationToken);

    /// <summary>The repository's ref history, newest first: of one ref when <paramref name="name"/> is given, only entries numbered
    /// below <paramref name="before"/> when it is given, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<RefHistoryRecord>> ListRefHistoryAsync(long repositoryId, string? name, long? before, int limit, CancellationToken cancellationToken);

    /// <summary>The commits gc must keep as roots: every ref's target and both ends of every ref move recorded at or after
    /// <paramref name="since"/>, each once.</summary>
    Task<IReadOnlyList<ObjectId>> ListRetainedTargetsAsync(long repositoryId, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>A repository's commits, trees and file manifests, stored verified, and which of them are known complete.</summary>
internal interface IObjectStore
{
    /// <summary>The ids in <paramref name="ids"/> the repository does not hold, in order, each once.</summary>
    Task<IReadOnlyList<ObjectId>> FindMissingObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Stores verified objects all together or not at all; returns how many were new.</summary>
    Task<int> PutObjectsAsync(long repositoryId, IAsyncEnumerable<MetadataObject> objects, CancellationToken cancellationToken);

    /// <summary>The object with that id, or null.</summary>
    Task<MetadataObject?> GetObjectAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken);

    /// <summary>The objects of <paramref name="ids"/> the repository holds, in any order (one round trip per few hundred ids).</summary>
    Task<IReadOnlyList<MetadataObject>> GetObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> commits whose id starts with <paramref name="hexPrefix"/> (lowercase hex).</summary>
    Task<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(long repositoryId, string hexPrefix, int limit, CancellationToken cancellationToken);

    /// <summary>Every object of <paramref name="kind"/> the repository holds, streamed (for walks that will read most of them).</summary>
    IAsyncEnumerable<MetadataObject> ListObjectsAsync(long repositoryId, ObjectKind kind, CancellationToken cancellationToken);

    /// <summary>Every commit and tree marked complete.</summary>
    Task<HashSet<ObjectId>> ListCompleteAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="id"/> (a commit or tree) was marked as having its whole closure present.</summary>
    Task<bool> IsCompleteAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken);

    /// <summary>Marks commits and trees whose whole closure (down to every chunk) is present, and files verified against their id.</summary>
    Task MarkCompleteAsync(long repositoryId, IReadOnlyCollection<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>The ids in <paramref name="ids"/> not marked complete, in order, each once.</summary>
    Task<IReadOnlyList<ObjectId>> FindIncompleteAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Drops every completeness mark except those on <paramref name="keep"/> (gc: what no ref reaches is checked again
    /// before a ref points at it); returns how many it dropped.</summary>
    Task<int> ClearCompleteExceptAsync(long repositoryId, IReadOnlySet<ObjectId> keep, CancellationToken cancellationToken);
}

/// <summary>Where each chunk of a repository is: which pack blob, at which offset, stored how.</summary>
internal interface IChunkIndex
{
    /// <summary>The ids in <paramref name="ids"/> the repository does not hold, in order, each once.</summary>
    Task<IReadOnlyList<ObjectId>> FindMissingAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Where each of <paramref name="ids"/> is, in the order asked; null for a chunk the repository does not hold.</summary>
    Task<IReadOnlyList<ChunkLocation?>> LookupAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Records a pack and its chunk entries in one transaction; a chunk already indexed keeps its first location, and
    /// adding a pack again changes nothing.</summary>
    Task AddPackAsync(long repositoryId, string pack, long size, IReadOnlyList<PackEntry> entries, CancellationToken cancellationToken);

    /// <summary>Records several packs (of one or more repositories) and their chunk entries in one transaction, as
    /// <see cref="AddPackAsync"/> does for one: the group commit of concurrent uploads.</summary>
    Task AddPacksAsync(IReadOnlyList<NewPack> packs, CancellationToken cancellationToken);

    /// <summary>The packs a repository's chunks are in, by name.</summary>
    Task<IReadOnlyList<PackRecord>> ListPacksAsync(long repositoryId, CancellationToken cancellationToken);

    // gc: a chunk no ref reaches is first condemned (still present and served), and deleted only by a later sweep once it has
    // been condemned for the grace period and is still unreachable; a ref update that finds a condemned chunk in its new
    // commit's closure takes it back (FindMissingAndKeepAsync), so a push that relied on it keeps it.

    /// <summary>Like <see cref="FindMissingAsync"/>, and takes every present one of <paramref name="ids"/> back from gc.</summary>
    Task<IReadOnlyList<ObjectId>> FindMissingAndKeepAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken);

    /// <summary>Every chunk of the repository: its id, stored length, and when gc condemned it (null when it did not).</summary>
    Task<IReadOnlyList<(ObjectId Id, int StoredLength, DateTimeOffset? CondemnedAt)>> ListChunksAsync(long repositoryId, CancellationToken cancellationToken);

    /// <summary>Condemns (<paramref name="condemn"/> true) or takes back chunks; returns how many changed.</summary>
    Task<int> SetCondemnedAsync(long repositoryId, IReadOnlyList<ObjectId> ids, bool condemn, CancellationToken cancellationToken);

    /// <summary>In one transaction that no ref update of the repository interleaves with: reads the ref targets and both ends of the
    /// ref moves recorded at or after <paramref name="historySince"/>, asks
    /// <paramref name="reachable"/> what they reach (chunks, and commits and trees), deletes the chunks condemned at or before
    /// <paramref name="cutoff"/> that are not reached, the completeness marks of what is not reached, and the packs left holding no
    /// chunk. Returns the deleted chunks' count and stored bytes, and the deleted packs (whose blobs the caller then deletes).</summary>
    Task<SweepResult> SweepAsync(long repositoryId, DateTimeOffset cutoff, DateTimeOffset historySince,
        Func<IReadOnlyList<ObjectId>, CancellationToken, Task<(HashSet<ObjectId> Chunks, HashSet<ObjectId> Objects)>> reachable,
        CancellationToken cancellationToken);
}

/// <summary>Whole-file upload sessions of the JSON API: how much has arrived, in which parts, and the file they became.</summary>
internal interface IUploadStore
{
    /// <summary>Records a new, empty session.</summary>
    Task<UploadRecord> CreateUploadAsync(string uploadId, long repositoryId, long userId, long? declaredSize, DateTimeOffset expiresAt,
        CancellationToken cancellationToken);

    /// <summary>The session, or null.</summary>
    Task<UploadRecord?> GetUploadAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Appends a part that starts at <paramref name="start"/>, which must be the bytes received so far, and extends the
    /// session's expiry; of concurrent appends at one offset exactly one wins. The session after, or null when it was not at
    /// <paramref name="start"/> (or is finished or gone).</summary>
    Task<UploadRecord?> AppendPartAsync(string uploadId, long start, long length, string blob, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>The parts received, in order.</summary>
    Task<IReadOnlyList<UploadPart>> ListPartsAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Marks the session finished as the file <paramref name="fileId"/>; false when it was finished or changed meanwhile
    /// (its bytes received differ from <paramref name="received"/>).</summary>
    Task<bool> FinishUploadAsync(string uploadId, long received, ObjectId fileId, byte[] sha256, CancellationToken cancellationToken);

    /// <summary>Deletes a session and its part rows; false when there was none.</summary>
    Task<bool> DeleteUploadAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Sessions that expired before <paramref name="now"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<UploadRecord>> ListExpiredUploadsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}

/// <summary>The SHA-256 of files by their id (BLAKE3 of the content), computed once and kept: what HTTP clients check downloads
/// against (Repr-Digest), since Python's hashlib has no BLAKE3.</summary>
internal interface IFileDigestStore
{
    /// <summary>The SHA-256 of each of <paramref name="fileIds"/> that is known.</summary>
    Task<IReadOnlyDictionary<ObjectId, byte[]>> GetDigestsAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken);

    /// <summary>Records a file's SHA-256 (a second record of the same file changes nothing).</summary>
    Task PutDigestAsync(ObjectId fileId, byte[] sha256, CancellationToken cancellationToken);
}

/// <summary>The server's record of security events (sign-ins, tokens, members and roles, force pushes), for server admins.</summary>
internal interface IAuditLog
{
    /// <summary>Appends an event (its id is assigned); the stored event.</summary>
    Task<AuditRecord> AppendAsync(AuditRecord entry, CancellationToken cancellationToken);

    /// <summary>Events that match <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}

/// <summary>Counts of failed sign-ins per key (an account, a client address) in fixed windows, shared by every server on the
/// database so that several servers throttle together.</summary>
internal interface ISignInThrottleStore
{
    /// <summary>The counts of <paramref name="keys"/> whose window started after <paramref name="windowStartAfter"/>.</summary>
    Task<IReadOnlyList<SignInFailures>> GetAsync(IReadOnlyList<string> keys, DateTimeOffset windowStartAfter, CancellationToken cancellationToken);

    /// <summary>Counts one failure for each key, atomically: a key whose window started at or before
    /// <paramref name="windowStartAfter"/> starts a new window at <paramref name="now"/>. The counts after.</summary>
    Task<IReadOnlyList<SignInFailures>> RecordFailureAsync(IReadOnlyList<string> keys, DateTimeOffset now, DateTimeOffset windowStartAfter,
        CancellationToken cancellationToken);

    /// <summary>Forgets the failures of a key (after a successful sign-in of that account).</summary>
    Task ResetAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Every metadata aggregate of one server, opened together over one database.</summary>
internal sealed record MetadataStores(IUserStore Users, ITokenStore Tokens, ISessionStore Sessions, IInvitationStore Invitations,
    IRepositoryStore Repositories, IRefStore Refs, IObjectStore Objects, IChunkIndex Chunks, IUploadStore Uploads, IFileDigestStore Digests,
    IAuditLog Audit, ISignInThrottleStore SignInThrottle);
