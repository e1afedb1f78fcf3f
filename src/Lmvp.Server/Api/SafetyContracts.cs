namespace Lmvp.Server.Api;

// JSON bodies of the ref history, branch protection and audit log (camelCase on the wire; ids as 64-digit lowercase hex).

/// <summary>One recorded ref move.</summary>
/// <param name="Id">Its number; pass it as <c>before</c> for older entries.</param>
/// <param name="Ref">The full ref name.</param>
/// <param name="Old">The commit before, or null (the ref was created).</param>
/// <param name="New">The commit after, or null (the ref was deleted).</param>
/// <param name="Kind">create, fast-forward, force, delete or restore.</param>
/// <param name="Via">push, api or web.</param>
/// <param name="User">Who.</param>
/// <param name="Token">The personal access token used (its id and name), or null for a session or the web.</param>
/// <param name="AuthMethod">token, session or web.</param>
/// <param name="At">When.</param>
internal sealed record RefHistoryEntryResponse(long Id, string Ref, string? Old, string? New, string Kind, string Via, string User,
    RefHistoryTokenResponse? Token, string AuthMethod, DateTimeOffset At);

/// <summary>The token a ref move was made with.</summary>
internal sealed record RefHistoryTokenResponse(long Id, string? Name);

/// <summary>One page of ref history, newest first.</summary>
/// <param name="Entries">The moves.</param>
/// <param name="Before">Pass as <c>before</c> for the next page; null on the last one.</param>
internal sealed record RefHistoryResponse(IReadOnlyList<RefHistoryEntryResponse> Entries, long? Before);

/// <summary>Point a ref back at a value its history recorded (role admin).</summary>
/// <param name="Ref">The full ref name (refs/heads/main) or a branch's short name.</param>
/// <param name="Target">The commit id, one of the ref's earlier values.</param>
internal sealed record RestoreRefRequest(string Ref, string Target);

/// <summary>The protected branches of a repository.</summary>
/// <param name="Branches">Branch names and patterns (<c>release/*</c>): a move that is not a fast-forward, or a deletion, needs the admin role.</param>
/// <param name="IsDefault">True when the repository never set its own list: its default branch is protected.</param>
internal sealed record ProtectionResponse(IReadOnlyList<string> Branches, bool IsDefault);

/// <summary>Set the protected branches (role admin); null goes back to the default (the default branch), an empty list protects none.</summary>
internal sealed record ProtectionRequest(IReadOnlyList<string>? Branches);

/// <summary>One security event.</summary>
internal sealed record AuditEntryResponse(long Id, DateTimeOffset At, string Kind, string Actor, string Address, string? Repository, string Subject, string Detail);

/// <summary>One page of the audit log, newest first.</summary>
/// <param name="Entries">The events.</param>
/// <param name="Before">Pass as <c>before</c> for the next page; null on the last one.</param>
internal sealed record AuditLogResponse(IReadOnlyList<AuditEntryResponse> Entries, long? Before);
