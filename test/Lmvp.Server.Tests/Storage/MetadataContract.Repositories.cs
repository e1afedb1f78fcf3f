using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Tests.Storage;

public abstract partial class MetadataContract
{
    /// <summary>The history entry the contract's ref moves are recorded with.</summary>
    internal static readonly RefMoveLog TestMove = new(RefMoveKinds.Create, "push", null, "contract", null, "token");

    // ---- repositories and members ----

    [Test]
    public async Task Repositories_AreUniquePerOwnerInAnyCase_AndVisibleByTheRules()
    {
        var s = await CreateStoresAsync();
        var alice = (await s.Users.CreateUserAsync("alice", null, false, default))!;
        var bob = (await s.Users.CreateUserAsync("bob", null, false, default))!;
        var root = (await s.Users.CreateUserAsync("root", null, true, default))!;
        var secret = (await s.Repositories.CreateRepositoryAsync(alice.Id, "secret", true, "d", default))!;
        var open = (await s.Repositories.CreateRepositoryAsync(alice.Id, "open", false, "", default))!;
        (await s.Repositories.CreateRepositoryAsync(alice.Id, "SECRET", false, "", default)).Should().BeNull();
        (await s.Repositories.CreateRepositoryAsync(bob.Id, "secret", true, "", default)).Should().NotBeNull("another owner may use the name");

        (await s.Repositories.FindRepositoryAsync("ALICE", "Secret", default))!.Id.Should().Be(secret.Id);
        (await s.Repositories.GetRepositoryAsync(open.Id, default))!.Should().Match<RepositoryRecord>(r => r.FullName == "alice/open" && !r.IsPrivate);
        Visible(await s.Repositories.ListVisibleRepositoriesAsync(bob.Id, false, default)).Should().Equal("alice/open", "bob/secret");
        Visible(await s.Repositories.ListVisibleRepositoriesAsync(root.Id, true, default)).Should().Equal("alice/open", "alice/secret", "bob/secret");

        await s.Repositories.SetMemberAsync(secret.Id, bob.Id, AccessLevel.Read, default);
        await s.Repositories.SetMemberAsync(secret.Id, bob.Id, AccessLevel.Admin, default);
        (await s.Repositories.GetMemberRoleAsync(secret.Id, bob.Id, default)).Should().Be(AccessLevel.Admin);
        (await s.Repositories.ListVisibleRepositoriesAsync(bob.Id, false, default)).Should().Contain(r => r.Repository.Id == secret.Id && r.MemberRole == AccessLevel.Admin);
        (await s.Repositories.ListMembersAsync(secret.Id, default)).Should().Equal(new MemberRecord(bob.Id, "bob", AccessLevel.Admin));
        (await s.Repositories.RemoveMemberAsync(secret.Id, bob.Id, default)).Should().BeTrue();
        (await s.Repositories.RemoveMemberAsync(secret.Id, bob.Id, default)).Should().BeFalse();
        (await s.Repositories.GetMemberRoleAsync(secret.Id, bob.Id, default)).Should().Be(AccessLevel.None);

        var updated = (await s.Repositories.UpdateRepositoryAsync(secret.Id, isPrivate: false, description: null, default))!;
        updated.Should().Match<RepositoryRecord>(r => !r.IsPrivate && r.Description == "d");
        (await s.Repositories.UpdateRepositoryAsync(secret.Id, isPrivate: null, description: "new", default))!.Should().Match<RepositoryRecord>(r => !r.IsPrivate && r.Description == "new");

        static List<string> Visible(IReadOnlyList<(RepositoryRecord Repository, AccessLevel MemberRole)> list) => [.. list.Select(r => r.Repository.FullName)];
    }

    // ---- refs ----

    [Test]
    public async Task Refs_MoveByCompareAndSwap_AndTheFirstBranchBecomesTheDefault()
    {
        var (s, repo) = await WithRepositoryAsync();
        ObjectId a = Id(1), b = Id(2), c = Id(3);
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/dev", null, a, TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Repositories.GetRepositoryAsync(repo, default))!.DefaultBranch.Should().Be("dev");
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", null, a, TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Repositories.GetRepositoryAsync(repo, default))!.DefaultBranch.Should().Be("dev", "only the first branch sets the default");

        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/dev", null, b, TestMove, default)).Should().Be(RefUpdateOutcome.Conflict, "it exists");
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/dev", c, b, TestMove, default)).Should().Be(RefUpdateOutcome.Conflict, "it is not at c");
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/dev", a, b, TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Refs.GetRefAsync(repo, "refs/heads/dev", default)).Should().Be(b);
        (await s.Refs.GetRefAsync(repo, "refs/heads/none", default)).Should().BeNull();
        (await s.Refs.CompareAndSwapRefAsync(repo, "refs/tags/v1", null, c, TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
        (await s.Refs.ListRefsAsync(repo, default)).Select(r => (r.Key, r.Value)).Should().Equal(
            ("refs/heads/dev", b), ("refs/heads/main", a), ("refs/tags/v1", c));
    }

    [Test]
    public async Task Refs_SixteenConcurrentSwapsFromOneValue_HaveExactlyOneWinner()
    {
        var (s, repo) = await WithRepositoryAsync();
        var start = Id(50);
        await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", null, start, TestMove, default);
        var targets = Enumerable.Range(0, 16).Select(i => Id(100 + i)).ToList();
        var outcomes = await Task.WhenAll(targets.Select(t => Task.Run(() => s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", start, t, TestMove, default))));
        outcomes.Count(o => o == RefUpdateOutcome.Updated).Should().Be(1);
        var winner = targets[Array.IndexOf(outcomes, RefUpdateOutcome.Updated)];
        (await s.Refs.GetRefAsync(repo, "refs/heads/main", default)).Should().Be(winner);
    }

    [Test]
    public async Task Refs_SixteenConcurrentCreations_HaveExactlyOneWinner()
    {
        var (s, repo) = await WithRepositoryAsync();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/new", null, Id(200 + i), TestMove, default))));
        outcomes.Count(o => o == RefUpdateOutcome.Updated).Should().Be(1);
    }

    // ---- objects ----

    [Test]
    public async Task Objects_AreStoredAllOrNothing_FoundByPrefix_AndMarkedComplete()
    {
        var (s, repo) = await WithRepositoryAsync();
        var tree = Tree.Create([]);
        var commit = Commit.Create(tree.Id, [], "me", DateTimeOffset.UnixEpoch, "m", [], null);
        var broken = () => s.Objects.PutObjectsAsync(repo, ThenFail([new MetadataObject(tree.Id, ObjectKind.Tree, tree.Encode())]), default);
        await broken.Should().ThrowAsync<InvalidOperationException>();
        (await s.Objects.FindMissingObjectsAsync(repo, [tree.Id], default)).Should().Equal([tree.Id], "a failed upload keeps nothing");

        (await s.Objects.PutObjectsAsync(repo, Items(new MetadataObject(tree.Id, ObjectKind.Tree, tree.Encode()), new MetadataObject(commit.Id, ObjectKind.Commit, commit.Encode())), default))
            .Should().Be(2);
        (await s.Objects.PutObjectsAsync(repo, Items(new MetadataObject(tree.Id, ObjectKind.Tree, tree.Encode())), default)).Should().Be(0);
        (await s.Objects.FindMissingObjectsAsync(repo, [commit.Id, Id(9), tree.Id, Id(9)], default)).Should().Equal(Id(9));
        var stored = (await s.Objects.GetObjectAsync(repo, commit.Id, default))!.Value;
        stored.Kind.Should().Be(ObjectKind.Commit);
        stored.Data.ToArray().Should().Equal(commit.Encode());
        (await s.Objects.FindCommitsByPrefixAsync(repo, commit.Id.ToString()[..6], 2, default)).Should().Equal(commit.Id);
        (await s.Objects.FindCommitsByPrefixAsync(repo, tree.Id.ToString()[..6], 2, default)).Should().BeEmpty("a tree is not a commit");

        (await s.Objects.IsCompleteAsync(repo, commit.Id, default)).Should().BeFalse();
        await s.Objects.MarkCompleteAsync(repo, [commit.Id, tree.Id], default);
        await s.Objects.MarkCompleteAsync(repo, [commit.Id], default);
        (await s.Objects.IsCompleteAsync(repo, commit.Id, default)).Should().BeTrue();
    }

    [Test]
    public async Task Objects_OfOneRepository_AreInvisibleToAnother()
    {
        var (s, repo) = await WithRepositoryAsync();
        var other = (await s.Repositories.CreateRepositoryAsync((await s.Users.FindUserAsync("owner", default))!.Id, "other", true, "", default))!.Id;
        var tree = Tree.Create([]);
        await s.Objects.PutObjectsAsync(repo, Items(new MetadataObject(tree.Id, ObjectKind.Tree, tree.Encode())), default);
        (await s.Objects.GetObjectAsync(other, tree.Id, default)).Should().BeNull();
        (await s.Objects.FindMissingObjectsAsync(other, [tree.Id], default)).Should().Equal(tree.Id);
    }

    // ---- chunk index ----

    [Test]
    public async Task ChunkIndex_LocatesChunks_InTheOrderAsked_AndKeepsTheFirstLocation()
    {
        var (s, repo) = await WithRepositoryAsync();
        var entries = Enumerable.Range(0, 250).Select(i => new PackEntry(Id(1000 + i), ObjectKind.Chunk, i % 2 == 0 ? ChunkEncoding.Raw : ChunkEncoding.Zstd,
            16 + (i * 100L), 52, 60)).ToList();
        entries.Add(new PackEntry(Id(5000), ObjectKind.Tree, ChunkEncoding.Raw, 99_999, 10, 10));
        await s.Chunks.AddPackAsync(repo, "pack-a.pack", 123_456, entries, default);
        await s.Chunks.AddPackAsync(repo, "pack-a.pack", 123_456, entries, default);
        await s.Chunks.AddPackAsync(repo, "pack-b.pack", 999, [entries[3] with { Offset = 16 }], default);

        var asked = new[] { Id(1003), Id(7), Id(1000), Id(1249), Id(5000) };
        var found = await s.Chunks.LookupAsync(repo, asked, default);
        found[0].Should().Be(new ChunkLocation("pack-a.pack", entries[3]), "the first location of a chunk is kept");
        found[1].Should().BeNull();
        found[2].Should().Be(new ChunkLocation("pack-a.pack", entries[0]));
        found[3].Should().Be(new ChunkLocation("pack-a.pack", entries[249]));
        found[4].Should().BeNull("only chunk entries are indexed");
        (await s.Chunks.FindMissingAsync(repo, asked, default)).Should().Equal(Id(7), Id(5000));
        (await s.Chunks.ListPacksAsync(repo, default)).Should().Equal(new PackRecord("pack-a.pack", 123_456, 250), new PackRecord("pack-b.pack", 999, 0));
    }

    [Test]
    public async Task ChunkIndex_ReportsMissingIds_OnceEach_InTheOrderAsked_AcrossQueryBatches()
    {
        var (s, repo) = await WithRepositoryAsync();
        await s.Chunks.AddPackAsync(repo, "pack-a.pack", 1,
            [.. Enumerable.Range(0, 600).Select(i => new PackEntry(Id(1000 + i), ObjectKind.Chunk, ChunkEncoding.Raw, 16 + (i * 10L), 10, 10))], default);

        // 1,300 ids, more than two of the stores' query batches: present ids and 11 missing ones, each asked for in several batches.
        var asked = Enumerable.Range(0, 1300).Select(i => i % 3 == 0 ? Id(9000 + (i % 11)) : Id(1000 + (i % 600))).ToList();
        var missing = await s.Chunks.FindMissingAsync(repo, asked, default);

        missing.Should().Equal(Enumerable.Range(0, 11).Select(k => Id(9000 + (k * 3 % 11))), "each missing id once, where it is first asked for");
    }

    [Test]
    public async Task ChunkIndex_AddsSeveralPacks_OfSeveralRepositories_InOneCall()
    {
        var (s, repo) = await WithRepositoryAsync();
        var owner = (await s.Users.CreateUserAsync("second-owner", null, false, default))!;
        var other = (await s.Repositories.CreateRepositoryAsync(owner.Id, "other", true, "", default))!.Id;
        PackEntry Entry(int n, long offset) => new(Id(n), ObjectKind.Chunk, ChunkEncoding.Raw, offset, 10, 10);

        // The group commit of three uploads: two packs of one repository sharing chunk 2, one of another repository.
        await s.Chunks.AddPacksAsync([
            new NewPack(repo, "g1.pack", 100, [Entry(1, 16), Entry(2, 40)]),
            new NewPack(repo, "g2.pack", 200, [Entry(2, 16), Entry(3, 40)]),
            new NewPack(other, "g3.pack", 300, [Entry(3, 16)]),
        ], default);
        await s.Chunks.AddPacksAsync([new NewPack(repo, "g1.pack", 100, [Entry(1, 16), Entry(2, 40)])], default);

        var found = await s.Chunks.LookupAsync(repo, [Id(1), Id(2), Id(3)], default);
        found[0].Should().Be(new ChunkLocation("g1.pack", Entry(1, 16)));
        found[1]!.Pack.Should().BeOneOf(["g1.pack", "g2.pack"], "a chunk in two packs of one group is indexed once");
        found[2].Should().Be(new ChunkLocation("g2.pack", Entry(3, 40)));
        (await s.Chunks.LookupAsync(other, [Id(1), Id(3)], default)).Should().Equal(null, new ChunkLocation("g3.pack", Entry(3, 16)));
        (await s.Chunks.ListPacksAsync(repo, default)).Select(p => (p.Name, p.Size)).Should().Equal(("g1.pack", 100L), ("g2.pack", 200L));
        (await s.Chunks.ListPacksAsync(other, default)).Should().Equal(new PackRecord("g3.pack", 300, 1));
    }

    private async Task<(MetadataStores Stores, long Repository)> WithRepositoryAsync()
    {
        var s = await CreateStoresAsync();
        var owner = (await s.Users.CreateUserAsync("owner", null, false, default))!;
        return (s, (await s.Repositories.CreateRepositoryAsync(owner.Id, "repo", true, "", default))!.Id);
    }

    private static ObjectId Id(int n) => ObjectId.Compute(BitConverter.GetBytes(n));

    private static async IAsyncEnumerable<MetadataObject> Items(params MetadataObject[] objects)
    {
        foreach (var o in objects)
        {
            await Task.Yield();
            yield return o;
        }
    }

    private static async IAsyncEnumerable<MetadataObject> ThenFail(MetadataObject[] objects, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var o in objects)
        {
            await Task.Yield();
            yield return o;
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException("the upload broke off");
    }
}
