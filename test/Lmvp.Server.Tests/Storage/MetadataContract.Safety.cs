using Lmvp.Server.Storage;
using Lmvp.Store;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The stores of issue 12 on every backend: the ref history, branch protection, the audit log and sign-in counts.</summary>
public abstract partial class MetadataContract
{
    [Test]
    public async Task RefHistory_RecordsEveryMoveNewestFirst_NotAFailedOne_AndRetainsBothEndsOfRecentMoves()
    {
        var (s, repo) = await WithRepositoryAsync();
        var user = (await s.Users.FindUserAsync("owner", default))!;
        var force = new RefMoveLog(RefMoveKinds.Force, "push", user.Id, user.Name, null, "password");
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", null, Id(1), TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", Id(1), Id(2), force, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", Id(1), Id(3), force, default)).Should().Be(RefUpdateOutcome.Conflict);
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/dev", null, Id(4), TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Refs.DeleteRefAsync(repo, "refs/heads/dev", Id(4), TestMove with { Kind = RefMoveKinds.Delete }, default)).Should().Be(RefUpdateOutcome.Updated);

        var all = await s.Refs.ListRefHistoryAsync(repo, null, null, 10, default);
        all.Select(h => (h.Name, h.Kind, h.Old, h.New)).Should().Equal(
            ("refs/heads/dev", RefMoveKinds.Delete, Id(4), (ObjectId?)null),
            ("refs/heads/dev", RefMoveKinds.Create, null, Id(4)),
            ("refs/heads/main", RefMoveKinds.Force, Id(1), Id(2)),
            ("refs/heads/main", RefMoveKinds.Create, (ObjectId?)null, Id(1)));
        all[2].UserId.Should().Be(user.Id);
        all[2].UserName.Should().Be("owner");
        all[2].AuthMethod.Should().Be("password");
        all[2].At.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        all.Select(h => h.Id).Should().BeInDescendingOrder();

        (await s.Refs.ListRefHistoryAsync(repo, "refs/heads/main", null, 10, default)).Select(h => h.Kind).Should().Equal(RefMoveKinds.Force, RefMoveKinds.Create);
        (await s.Refs.ListRefHistoryAsync(repo, null, all[1].Id, 1, default)).Should().ContainSingle().Which.Id.Should().Be(all[2].Id, "paged below an entry");

        (await s.Refs.ListRetainedTargetsAsync(repo, DateTimeOffset.UtcNow.AddHours(-1), default)).Should().BeEquivalentTo([Id(1), Id(2), Id(4)],
            "the tip, the value forced away and the deleted branch");
        (await s.Refs.ListRetainedTargetsAsync(repo, DateTimeOffset.UtcNow.AddHours(1), default)).Should().Equal([Id(2)], "older moves: only the tips");
    }

    [Test]
    public async Task BranchProtection_IsUnsetUntilSet_KeepsPatterns_AnEmptyListProtectsNone_AndNullGoesBack()
    {
        var (s, repo) = await WithRepositoryAsync();
        (await s.Repositories.GetProtectedBranchesAsync(repo, default)).Should().BeNull();
        await s.Repositories.SetProtectedBranchesAsync(repo, ["main", "release/*"], default);
        (await s.Repositories.GetProtectedBranchesAsync(repo, default)).Should().Equal("main", "release/*");
        await s.Repositories.SetProtectedBranchesAsync(repo, [], default);
        (await s.Repositories.GetProtectedBranchesAsync(repo, default)).Should().BeEmpty();
        await s.Repositories.SetProtectedBranchesAsync(repo, null, default);
        (await s.Repositories.GetProtectedBranchesAsync(repo, default)).Should().BeNull();
    }

    [Test]
    public async Task AuditLog_NumbersEvents_ListsNewestFirst_FilteredByKindAndActorInAnyCase_AndPaged()
    {
        var (s, repo) = await WithRepositoryAsync();
        var user = (await s.Users.FindUserAsync("owner", default))!;
        var first = await s.Audit.AppendAsync(new AuditRecord(0, default, AuditKinds.SignInFailed, null, "mallory", "10.0.0.9", null, "", "mallory", "wrong password"), default);
        var second = await s.Audit.AppendAsync(new AuditRecord(0, default, AuditKinds.TokenCreated, user.Id, user.Name, "127.0.0.1", repo, "owner/repo", "ci", "write"), default);
        var third = await s.Audit.AppendAsync(new AuditRecord(0, default, AuditKinds.SignIn, user.Id, user.Name, "127.0.0.1", null, "", user.Name, ""), default);
        second.Id.Should().BeGreaterThan(first.Id);
        third.Id.Should().BeGreaterThan(second.Id);
        first.At.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        var all = await s.Audit.ListAsync(new AuditQuery(), default);
        all.Select(a => a.Id).Should().Equal(third.Id, second.Id, first.Id);
        all[1].Should().Be(second);
        all[2].ActorId.Should().BeNull();
        (await s.Audit.ListAsync(new AuditQuery(Kinds: [AuditKinds.SignIn, AuditKinds.SignInFailed]), default)).Select(a => a.Id).Should().Equal(third.Id, first.Id);
        (await s.Audit.ListAsync(new AuditQuery(ActorName: "OWNER"), default)).Select(a => a.Id).Should().Equal(third.Id, second.Id);
        (await s.Audit.ListAsync(new AuditQuery(Before: third.Id, Limit: 1), default)).Select(a => a.Id).Should().Equal(second.Id);
    }

    [Test]
    public async Task SignInThrottle_CountsEveryConcurrentFailure_PerKey_StartsANewWindow_AndResets()
    {
        var s = await CreateStoresAsync();
        var now = DateTimeOffset.UtcNow;
        var window = now.AddMinutes(-15);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => s.SignInThrottle.RecordFailureAsync(["user:alice", "ip:10.0.0.9"], now, window, default))));
        var counts = await s.SignInThrottle.GetAsync(["user:alice", "ip:10.0.0.9", "user:bob"], window, default);
        counts.ToDictionary(c => c.Key, c => c.Failures).Should().BeEquivalentTo(new Dictionary<string, int> { ["user:alice"] = 8, ["ip:10.0.0.9"] = 8 },
            "every failure counts, none lost to a race; an account with none has no row");

        var later = now.AddMinutes(20);
        (await s.SignInThrottle.GetAsync(["user:alice"], later.AddMinutes(-15), default)).Should().BeEmpty("the window is over");
        var fresh = await s.SignInThrottle.RecordFailureAsync(["user:alice"], later, later.AddMinutes(-15), default);
        fresh.Should().ContainSingle().Which.Failures.Should().Be(1, "a failure after the window starts a new one");
        fresh[0].WindowStart.ToUnixTimeMilliseconds().Should().Be(later.ToUnixTimeMilliseconds());

        await s.SignInThrottle.ResetAsync("user:alice", default);
        (await s.SignInThrottle.GetAsync(["user:alice"], later.AddMinutes(-15), default)).Should().BeEmpty();
    }
}
