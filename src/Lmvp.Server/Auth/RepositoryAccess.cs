using Lmvp.Server.Api;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Auth;

/// <summary>The outcome of an access check: the repository and the caller's effective level, or the error to answer.</summary>
internal readonly record struct RepositoryGrant(RepositoryRecord? Repository, AccessLevel Role, AccessLevel Effective, JsonHttpResult<ApiError>? Error)
{
    public bool Allowed => Error is null;
}

/// <summary>Whether visitors without an account may read public repositories (the default, as on Hugging Face), or every
/// request must be signed in (<c>lmvp-server --require-sign-in</c>).</summary>
/// <param name="AnonymousReads">True when public repositories are readable without an account.</param>
internal sealed record AccessPolicy(bool AnonymousReads);

/// <summary>The authorization rules for repositories, shared by the API and the web UI.</summary>
/// <remarks>
/// A caller's role is admin for the owner and server admins, else their member role, else read for a public
/// repository, else none. What they may do is the lower of that role and their token's scope. A repository the
/// caller cannot read answers 404, exactly as one that does not exist, so private names do not leak. A visitor without
/// an account (<see cref="Caller.Anonymous"/>) reads public repositories when the policy allows; anything else asks them
/// to authenticate (401), whether or not the repository exists.
/// </remarks>
internal sealed class RepositoryAccess(MetadataStores store, AccessPolicy policy)
{
    /// <summary>What a request without credentials is told when it needs them.</summary>
    public const string AuthenticationRequired = "authentication required: send 'Authorization: Bearer <token>'";

    /// <summary>True when a request without credentials may read public repositories.</summary>
    public bool AllowsAnonymousReads => policy.AnonymousReads;

    /// <summary>The caller's role in <paramref name="repository"/>, ignoring token scope.</summary>
    public async Task<AccessLevel> GetRoleAsync(Caller caller, RepositoryRecord repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(repository);
        if (caller.IsAnonymous)
        {
            return policy.AnonymousReads && !repository.IsPrivate ? AccessLevel.Read : AccessLevel.None;
        }

        if (caller.IsServerAdmin || repository.OwnerId == caller.UserId)
        {
            return AccessLevel.Admin;
        }

        var member = await store.Repositories.GetMemberRoleAsync(repository.Id, caller.UserId, cancellationToken).ConfigureAwait(false);
        if (member != AccessLevel.None)
        {
            return member;
        }

        return repository.IsPrivate ? AccessLevel.None : AccessLevel.Read;
    }

    /// <summary>The role of a caller given the member role a listing already read.</summary>
    public static AccessLevel RoleFromMembership(Caller caller, RepositoryRecord repository, AccessLevel memberRole)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(repository);
        if (caller.IsServerAdmin || repository.OwnerId == caller.UserId)
        {
            return AccessLevel.Admin;
        }

        return memberRole != AccessLevel.None ? memberRole : repository.IsPrivate ? AccessLevel.None : AccessLevel.Read;
    }

    /// <summary>Finds <c>owner/name</c> and checks the caller may act on it at <paramref name="required"/>.</summary>
    public async Task<RepositoryGrant> AuthorizeAsync(Caller caller, string owner, string name, AccessLevel required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        // A visitor without credentials learns nothing about which names exist: every refusal asks them to authenticate.
        var notFound = caller.IsAnonymous ? Errors.Unauthorized(AuthenticationRequired) : Errors.NotFound($"repository {owner}/{name} not found");
        if (!Names.IsValid(owner) || !Names.IsValid(name))
        {
            return new RepositoryGrant(null, AccessLevel.None, AccessLevel.None, notFound);
        }

        var repository = await store.Repositories.FindRepositoryAsync(owner, name, cancellationToken).ConfigureAwait(false);
        if (repository is null)
        {
            return new RepositoryGrant(null, AccessLevel.None, AccessLevel.None, notFound);
        }

        var role = await GetRoleAsync(caller, repository, cancellationToken).ConfigureAwait(false);
        if (caller.IsAnonymous && role < required)
        {
            return new RepositoryGrant(null, AccessLevel.None, AccessLevel.None, Errors.Unauthorized(AuthenticationRequired));
        }

        if (role == AccessLevel.None)
        {
            return new RepositoryGrant(null, AccessLevel.None, AccessLevel.None, notFound);
        }

        if (role < required)
        {
            return new RepositoryGrant(repository, role, role, Errors.Forbidden(
                $"your role in {repository.FullName} is {role.ToName()}; this needs {required.ToName()}"));
        }

        if (caller.Scope < required)
        {
            return new RepositoryGrant(repository, role, caller.Scope, Errors.Forbidden(
                $"this token's scope is {caller.Scope.ToName()}; this needs {required.ToName()}"));
        }

        return new RepositoryGrant(repository, role, AccessLevels.Min(role, caller.Scope), null);
    }
}
