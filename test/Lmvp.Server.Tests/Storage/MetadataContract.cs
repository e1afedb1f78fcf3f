using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Tests.Storage;

/// <summary>What every metadata provider must do, aggregate by aggregate: the semantics the interfaces state, every
/// multi-row change atomic, and races with exactly one winner. Each provider's fixture supplies fresh, empty stores.</summary>
public abstract partial class MetadataContract
{
    private static readonly DateTimeOffset Later = DateTimeOffset.UtcNow.AddDays(1);

    /// <summary>Fresh stores over an empty database.</summary>
    internal abstract Task<MetadataStores> CreateStoresAsync();

    // ---- users ----

    [Test]
    public async Task Users_AreUniqueByNameInAnyCase_AndListedByName()
    {
        var s = await CreateStoresAsync();
        (await s.Users.CountUsersAsync(default)).Should().Be(0);
        var bob = (await s.Users.CreateUserAsync("bob", "hash-b", false, default))!;
        (await s.Users.CreateUserAsync("Alice", null, true, default)).Should().NotBeNull();
        (await s.Users.CreateUserAsync("BOB", "other", false, default)).Should().BeNull("names compare without case");

        (await s.Users.FindUserAsync("BoB", default))!.Id.Should().Be(bob.Id);
        (await s.Users.GetUserAsync(bob.Id, default))!.PasswordHash.Should().Be("hash-b");
        (await s.Users.ListUsersAsync(default)).Select(u => u.Name).Should().Equal("Alice", "bob");
        (await s.Users.CountUsersAsync(default)).Should().Be(2);

        await s.Users.SetPasswordHashAsync(bob.Id, "hash-2", default);
        var updated = (await s.Users.UpdateUserAsync(bob.Id, isAdmin: true, isDisabled: null, default))!;
        updated.Should().Match<UserRecord>(u => u.IsAdmin && !u.IsDisabled && u.PasswordHash == "hash-2");
        (await s.Users.UpdateUserAsync(bob.Id, isAdmin: null, isDisabled: true, default))!.Should().Match<UserRecord>(u => u.IsAdmin && u.IsDisabled);
        (await s.Users.UpdateUserAsync(9999, true, true, default)).Should().BeNull();
    }

    [Test]
    public async Task Users_CreatedConcurrentlyUnderOneName_HaveExactlyOneWinner()
    {
        var s = await CreateStoresAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => s.Users.CreateUserAsync(i % 2 == 0 ? "carol" : "CAROL", null, false, default))));
        results.Count(r => r is not null).Should().Be(1);
        (await s.Users.CountUsersAsync(default)).Should().Be(1);
    }

    // ---- tokens ----

    [Test]
    public async Task Tokens_AreFoundByHash_ListedPerUser_RevokedOnlyByTheirOwner()
    {
        var s = await CreateStoresAsync();
        var bob = (await s.Users.CreateUserAsync("bob", null, false, default))!;
        var eve = (await s.Users.CreateUserAsync("eve", null, false, default))!;
        var token = await s.Tokens.CreateTokenAsync(bob.Id, "laptop", [1, 2, 3], AccessLevel.Write, Later, default);
        await s.Tokens.CreateTokenAsync(bob.Id, "ci", [4, 5, 6], AccessLevel.Read, null, default);

        var (found, user) = (await s.Tokens.FindTokenAsync([1, 2, 3], default))!.Value;
        found.Should().Match<TokenRecord>(t => t.Id == token.Id && t.Name == "laptop" && t.Scope == AccessLevel.Write && t.RevokedAt == null);
        user.Name.Should().Be("bob");
        (await s.Tokens.FindTokenAsync([9], default)).Should().BeNull();
        (await s.Tokens.ListTokensAsync(bob.Id, default)).Select(t => t.Name).Should().Equal("laptop", "ci");

        (await s.Tokens.RevokeTokenAsync(eve.Id, token.Id, default)).Should().BeFalse("only the owner revokes a token");
        (await s.Tokens.RevokeTokenAsync(bob.Id, token.Id, default)).Should().BeTrue();
        var when = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await s.Tokens.TouchTokenAsync(token.Id, when, default);
        (await s.Tokens.FindTokenAsync([1, 2, 3], default))!.Value.Token.Should().Match<TokenRecord>(t => t.RevokedAt != null && t.LastUsedAt == when);
    }

    // ---- sessions ----

    [Test]
    public async Task Sessions_RotateRefreshTokens_AndASpentTokenEndsTheSession()
    {
        var s = await CreateStoresAsync();
        var bob = (await s.Users.CreateUserAsync("bob", null, false, default))!;
        await s.Sessions.CreateSessionAsync(bob.Id, "sid", [1], Later, default);
        (await s.Sessions.FindSessionByRefreshAsync([1], default))!.Id.Should().Be("sid");

        var (outcome, session) = await s.Sessions.RotateRefreshTokenAsync([1], [2], Later.AddDays(1), DateTimeOffset.UtcNow, default);
        outcome.Should().Be(RefreshOutcome.Rotated);
        session!.Id.Should().Be("sid");
        (await s.Sessions.RotateRefreshTokenAsync([9], [10], Later, DateTimeOffset.UtcNow, default)).Outcome.Should().Be(RefreshOutcome.Invalid);

        (await s.Sessions.RotateRefreshTokenAsync([1], [3], Later, DateTimeOffset.UtcNow, default)).Outcome.Should().Be(RefreshOutcome.Reused);
        (await s.Sessions.GetSessionAsync("sid", default))!.RevokedAt.Should().NotBeNull("a reused refresh token revokes its session");
        (await s.Sessions.RotateRefreshTokenAsync([2], [4], Later, DateTimeOffset.UtcNow, default)).Outcome.Should().Be(RefreshOutcome.Invalid);
    }

    [Test]
    public async Task Sessions_ConcurrentRotationsOfOneToken_HaveExactlyOneWinner()
    {
        var s = await CreateStoresAsync();
        var bob = (await s.Users.CreateUserAsync("bob", null, false, default))!;
        await s.Sessions.CreateSessionAsync(bob.Id, "sid", [1], Later, default);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            (await s.Sessions.RotateRefreshTokenAsync([1], [(byte)(10 + i)], Later, DateTimeOffset.UtcNow, default)).Outcome)));
        outcomes.Count(o => o == RefreshOutcome.Rotated).Should().Be(1);
    }

    // ---- invitations ----

    [Test]
    public async Task Invitations_RedeemOnce_CreatingTheUserAndMembershipTogether()
    {
        var s = await CreateStoresAsync();
        var owner = (await s.Users.CreateUserAsync("owner", null, false, default))!;
        var repo = (await s.Repositories.CreateRepositoryAsync(owner.Id, "model", true, "", default))!;
        var invitation = await s.Invitations.CreateInvitationAsync(owner.Id, [7], repo.Id, AccessLevel.Write, false, Later, default);
        (await s.Invitations.ListInvitationsAsync(owner.Id, default)).Should().ContainSingle().Which.Id.Should().Be(invitation.Id);
        (await s.Invitations.ListInvitationsAsync(null, default)).Should().HaveCount(1);

        var (outcome, user) = await s.Invitations.RedeemInvitationAsync([7], "dana", "pw", DateTimeOffset.UtcNow, default);
        outcome.Should().Be(RedeemOutcome.Created);
        (await s.Repositories.GetMemberRoleAsync(repo.Id, user!.Id, default)).Should().Be(AccessLevel.Write);
        (await s.Invitations.GetInvitationAsync(invitation.Id, default))!.UsedBy.Should().Be(user.Id);
        (await s.Invitations.RedeemInvitationAsync([7], "erin", "pw", DateTimeOffset.UtcNow, default)).Outcome.Should().Be(RedeemOutcome.InvalidCode);
        (await s.Users.FindUserAsync("erin", default)).Should().BeNull();
        (await s.Invitations.DeleteInvitationAsync(invitation.Id, default)).Should().BeTrue();
        (await s.Invitations.DeleteInvitationAsync(invitation.Id, default)).Should().BeFalse();
    }

    [Test]
    public async Task Invitations_WithATakenName_OrExpired_ChangeNothing()
    {
        var s = await CreateStoresAsync();
        var owner = (await s.Users.CreateUserAsync("owner", null, false, default))!;
        var invitation = await s.Invitations.CreateInvitationAsync(owner.Id, [8], null, AccessLevel.None, true, Later, default);
        (await s.Invitations.RedeemInvitationAsync([8], "OWNER", "pw", DateTimeOffset.UtcNow, default)).Outcome.Should().Be(RedeemOutcome.NameTaken);
        (await s.Invitations.GetInvitationAsync(invitation.Id, default))!.UsedAt.Should().BeNull("a failed redeem spends nothing");
        (await s.Invitations.RedeemInvitationAsync([8], "late", "pw", Later.AddDays(1), default)).Outcome.Should().Be(RedeemOutcome.InvalidCode);
        (await s.Users.CountUsersAsync(default)).Should().Be(1);
    }

    [Test]
    public async Task Invitations_RedeemedConcurrently_HaveExactlyOneWinner_AndNoOrphanUsers()
    {
        var s = await CreateStoresAsync();
        var owner = (await s.Users.CreateUserAsync("owner", null, false, default))!;
        await s.Invitations.CreateInvitationAsync(owner.Id, [9], null, AccessLevel.None, false, Later, default);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            (await s.Invitations.RedeemInvitationAsync([9], $"user{i}", "pw", DateTimeOffset.UtcNow, default)).Outcome)));
        outcomes.Count(o => o == RedeemOutcome.Created).Should().Be(1);
        (await s.Users.CountUsersAsync(default)).Should().Be(2, "the losers' users were never kept");
    }
}
