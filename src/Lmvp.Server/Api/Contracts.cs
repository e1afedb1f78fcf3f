namespace Lmvp.Server.Api;

// JSON bodies of the server's own API (camelCase on the wire): accounts, tokens, invitations, repositories and members.
// The sync protocol's bodies, which the client shares, are in Lmvp.Store.Protocol.

/// <summary>Sign in with a password.</summary>
internal sealed record LoginRequest(string Username, string Password);

/// <summary>A session's tokens: a short-lived access token and a refresh token.</summary>
internal sealed record SessionTokensResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, DateTimeOffset RefreshExpiresAt);

/// <summary>Spend a refresh token for a new pair.</summary>
internal sealed record RefreshRequest(string RefreshToken);

/// <summary>End a session, named by its refresh token (or by the access token that calls).</summary>
internal sealed record LogoutRequest(string? RefreshToken);

/// <summary>Create an account with an invitation code.</summary>
internal sealed record RegisterRequest(string Code, string Username, string Password);

/// <summary>A user account as others see it.</summary>
internal sealed record UserResponse(string Username, bool IsAdmin, bool IsDisabled, DateTimeOffset CreatedAt);

/// <summary>A server admin creates a user directly.</summary>
internal sealed record CreateUserRequest(string Username, string? Password, bool Admin = false);

/// <summary>A server admin changes a user's flags (either may be left out).</summary>
internal sealed record UpdateUserRequest(bool? Admin = null, bool? Disabled = null);

/// <summary>Create a personal access token.</summary>
internal sealed record CreateTokenRequest(string Name, string Scope, int? ExpiresDays = null);

/// <summary>A personal access token without its value.</summary>
internal sealed record TokenResponse(long Id, string Name, string Scope, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A new personal access token: <see cref="Token"/> is shown only this once.</summary>
internal sealed record CreatedTokenResponse(long Id, string Name, string Scope, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Token);

/// <summary>Invite someone to register, optionally into a repository with a role.</summary>
internal sealed record CreateInvitationRequest(string? Repository = null, string? Role = null, bool Admin = false, int? ExpiresDays = null);

/// <summary>An invitation without its code.</summary>
internal sealed record InvitationResponse(long Id, string? Repository, string? Role, bool Admin, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt, string? UsedBy);

/// <summary>A new invitation: <see cref="Code"/> is shown only this once.</summary>
internal sealed record CreatedInvitationResponse(long Id, string Code, string? Repository, string? Role, bool Admin, DateTimeOffset ExpiresAt);

/// <summary>Create a repository owned by the caller.</summary>
internal sealed record CreateRepositoryRequest(string Name, bool Private = true, string? Description = null);

/// <summary>Change a repository's visibility or description.</summary>
internal sealed record UpdateRepositoryRequest(bool? Private = null, string? Description = null);

/// <summary>A repository and the caller's role in it.</summary>
internal sealed record RepositoryResponse(string Owner, string Name, string FullName, bool Private, string Description, string DefaultBranch,
    string Role, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A member of a repository.</summary>
internal sealed record MemberResponse(string Username, string Role);

/// <summary>Set a member's role.</summary>
internal sealed record SetMemberRequest(string Role);

/// <summary>Source-generated serialization of the account, repository, safety and tensor API's bodies. With
/// <see cref="ContentJsonContext"/> and the protocol's context these are the only JSON metadata the server has: no reflection,
/// so the native (ahead-of-time compiled) lmvp-server and the tests' server serialize alike.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[System.Text.Json.Serialization.JsonSerializable(typeof(LoginRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RefreshRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(LogoutRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RegisterRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SessionTokensResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateTokenRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreatedTokenResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(TokenResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<TokenResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateUserRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(UpdateUserRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(UserResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<UserResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateInvitationRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreatedInvitationResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(InvitationResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<InvitationResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateRepositoryRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(UpdateRepositoryRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RepositoryResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<RepositoryResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SetMemberRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(MemberResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<MemberResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProtectionRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProtectionResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RestoreRefRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RefHistoryResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(AuditLogResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FileTensorsResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(TensorDiffResponse))]
// The OpenAPI document asks the serializer for the schemas of route, query and body parameters too.
[System.Text.Json.Serialization.JsonSerializable(typeof(byte[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int?))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long?))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool?))]
internal sealed partial class ServerJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
