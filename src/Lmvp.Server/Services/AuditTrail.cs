using Lmvp.Server.Auth;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Services;

/// <summary>Writes security events to the audit log: who (and from which address) did what to which user, token, member or ref.</summary>
/// <remarks>An event is written after what it records has happened; a failure to write it is logged and does not undo or fail
/// the request (the log is a record, not a gate).</remarks>
internal sealed class AuditTrail(IAuditLog log, ILogger<AuditTrail> logger)
{
    /// <summary>Records an event by <paramref name="actor"/> (null: someone not signed in, or the server itself).</summary>
    public async Task RecordAsync(string kind, Caller? actor, string address, RepositoryRecord? repository, string subject, string detail,
        CancellationToken cancellationToken = default)
    {
        var named = actor is { IsAnonymous: false } ? actor : null;
        await RecordAsync(kind, named?.UserId, named?.UserName ?? "", address, repository, subject, detail, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records an event whose actor is known only by name (a failed sign-in names the account tried).</summary>
    public async Task RecordAsync(string kind, long? actorId, string actorName, string address, RepositoryRecord? repository, string subject, string detail,
        CancellationToken cancellationToken = default)
    {
        try
        {
            await log.AppendAsync(new AuditRecord(0, default, kind, actorId, actorName, address, repository?.Id, repository?.FullName ?? "", subject, detail),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError("Could not write the audit event {Kind} by {Actor} on {Subject}: {Problem}", kind, actorName, subject, StorageErrors.Describe(e));
        }
    }

    /// <summary>Records a new personal access token (never its value).</summary>
    public Task TokenCreatedAsync(Caller? actor, string address, string owner, TokenRecord token, CancellationToken cancellationToken = default) =>
        RecordAsync(AuditKinds.TokenCreated, actor, address, null, $"{owner}'s token #{token.Id} '{token.Name}'",
            $"scope {token.Scope.ToName()}, " + (token.ExpiresAt is { } e ? $"expires {e:yyyy-MM-dd}" : "never expires"), cancellationToken);

    /// <summary>Records a revoked personal access token.</summary>
    public Task TokenRevokedAsync(Caller? actor, string address, string owner, long tokenId, CancellationToken cancellationToken = default) =>
        RecordAsync(AuditKinds.TokenRevoked, actor, address, null, $"{owner}'s token #{tokenId}", "", cancellationToken);

    /// <summary>Records a member added, given another role (<paramref name="before"/> to <paramref name="after"/>) or removed (after None).</summary>
    public Task MemberSetAsync(Caller? actor, string address, RepositoryRecord repository, string member, AccessLevel before, AccessLevel after, string via,
        CancellationToken cancellationToken = default) =>
        RecordAsync(after == AccessLevel.None ? AuditKinds.MemberRemoved : AuditKinds.MemberSet, actor, address, repository, member,
            $"{before.ToName()} -> {after.ToName()} ({via})", cancellationToken);

    /// <summary>The client address of a request, as the audit log and the sign-in throttle name it ("" when unknown).</summary>
    public static string AddressOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "";
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    /// <summary>The address of a shell command (lmvp-server admin).</summary>
    public const string Shell = "shell";
}
