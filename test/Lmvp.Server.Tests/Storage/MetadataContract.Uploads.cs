using Lmvp.Server.Storage;
using Lmvp.Store;

namespace Lmvp.Server.Tests.Storage;

/// <summary>Upload sessions and file digests: the state the JSON API's resumable uploads keep between requests (and between
/// servers sharing one database).</summary>
public abstract partial class MetadataContract
{
    [Test]
    public async Task Uploads_AppendOnlyAtTheBytesReceived_ListPartsInOrder_AndFinishOnce()
    {
        var (s, repo) = await WithRepositoryAsync();
        var user = (await s.Users.FindUserAsync("owner", default))!.Id;
        var created = await s.Uploads.CreateUploadAsync("u1", repo, user, 300, Later, default);
        created.Should().Match<UploadRecord>(u => u.Id == "u1" && u.RepositoryId == repo && u.UserId == user && u.DeclaredSize == 300 && u.Received == 0 && !u.IsFinished);
        (await s.Uploads.CreateUploadAsync("u2", repo, user, null, Later, default)).DeclaredSize.Should().BeNull();

        (await s.Uploads.AppendPartAsync("u1", 0, 100, "uploads/u1/0", Later.AddHours(1), default))!.Received.Should().Be(100);
        (await s.Uploads.AppendPartAsync("u1", 0, 100, "uploads/u1/0-again", Later, default)).Should().BeNull("the session is past offset 0");
        (await s.Uploads.AppendPartAsync("u1", 150, 10, "uploads/u1/150", Later, default)).Should().BeNull("a gap is refused");
        var after = (await s.Uploads.AppendPartAsync("u1", 100, 200, "uploads/u1/100", Later.AddHours(2), default))!;
        after.Received.Should().Be(300);
        after.ExpiresAt.ToUnixTimeMilliseconds().Should().Be(Later.AddHours(2).ToUnixTimeMilliseconds(), "each part extends the session");
        (await s.Uploads.AppendPartAsync("nobody", 0, 1, "x", Later, default)).Should().BeNull();
        (await s.Uploads.ListPartsAsync("u1", default)).Should().Equal(new UploadPart(0, 100, "uploads/u1/0"), new UploadPart(100, 200, "uploads/u1/100"));

        var file = Id(500);
        byte[] sha = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        (await s.Uploads.FinishUploadAsync("u1", 250, file, sha, default)).Should().BeFalse("the session holds 300 bytes, not 250");
        (await s.Uploads.FinishUploadAsync("u1", 300, file, sha, default)).Should().BeTrue();
        (await s.Uploads.FinishUploadAsync("u1", 300, file, sha, default)).Should().BeFalse("finished once");
        var finished = (await s.Uploads.GetUploadAsync("u1", default))!;
        finished.Should().Match<UploadRecord>(u => u.IsFinished && u.FileId == file && u.Received == 300);
        finished.Sha256.Should().Equal(sha);
        (await s.Uploads.ListPartsAsync("u1", default)).Should().BeEmpty("a finished session's part rows are gone");
        (await s.Uploads.AppendPartAsync("u1", 300, 1, "uploads/u1/300", Later, default)).Should().BeNull("nothing is added to a finished upload");

        (await s.Uploads.DeleteUploadAsync("u2", default)).Should().BeTrue();
        (await s.Uploads.DeleteUploadAsync("u2", default)).Should().BeFalse();
        (await s.Uploads.GetUploadAsync("u2", default)).Should().BeNull();
    }

    [Test]
    public async Task Uploads_AppendedConcurrentlyAtOneOffset_HaveExactlyOneWinner()
    {
        var (s, repo) = await WithRepositoryAsync();
        var user = (await s.Users.FindUserAsync("owner", default))!.Id;
        await s.Uploads.CreateUploadAsync("race", repo, user, null, Later, default);
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => s.Uploads.AppendPartAsync("race", 0, 10 + i, $"uploads/race/{i}", Later, default))));
        var winner = results.Where(r => r is not null).Should().ContainSingle().Subject!;
        var parts = await s.Uploads.ListPartsAsync("race", default);
        parts.Should().ContainSingle().Which.Length.Should().Be(winner.Received, "the part row and the offset change together");
    }

    [Test]
    public async Task Uploads_Expired_AreListedOldestFirst_UpToTheLimit_AndDeleteTakesTheirParts()
    {
        var (s, repo) = await WithRepositoryAsync();
        var user = (await s.Users.FindUserAsync("owner", default))!.Id;
        var now = DateTimeOffset.UtcNow;
        await s.Uploads.CreateUploadAsync("old2", repo, user, null, now.AddHours(-1), default);
        await s.Uploads.CreateUploadAsync("old1", repo, user, null, now.AddHours(-2), default);
        await s.Uploads.CreateUploadAsync("old3", repo, user, null, now.AddMinutes(-1), default);
        await s.Uploads.CreateUploadAsync("live", repo, user, null, now.AddHours(1), default);
        await s.Uploads.AppendPartAsync("old1", 0, 5, "uploads/old1/0", now.AddHours(-2), default);

        (await s.Uploads.ListExpiredUploadsAsync(now, 2, default)).Select(u => u.Id).Should().Equal("old1", "old2");
        (await s.Uploads.ListExpiredUploadsAsync(now, 10, default)).Select(u => u.Id).Should().Equal("old1", "old2", "old3");
        (await s.Uploads.DeleteUploadAsync("old1", default)).Should().BeTrue();
        (await s.Uploads.ListPartsAsync("old1", default)).Should().BeEmpty();
    }

    [Test]
    public async Task Digests_AreKeptOnce_AndFoundInBatchesOfAnySize()
    {
        var s = await CreateStoresAsync();
        var ids = Enumerable.Range(0, 1200).Select(i => Id(10_000 + i)).ToList();
        byte[] Sha(int i, byte salt) => [.. Enumerable.Range(0, 32).Select(k => (byte)(i + k + salt))];
        foreach (var i in new[] { 0, 1, 999, 1100 })
        {
            await s.Digests.PutDigestAsync(ids[i], Sha(i, 0), default);
        }

        await s.Digests.PutDigestAsync(ids[1], Sha(1, 7), default); // a second record of the same file changes nothing
        var found = await s.Digests.GetDigestsAsync(ids, default);
        found.Keys.Should().BeEquivalentTo([ids[0], ids[1], ids[999], ids[1100]]);
        found[ids[1]].Should().Equal(Sha(1, 0));
        found[ids[1100]].Should().Equal(Sha(1100, 0));
        (await s.Digests.GetDigestsAsync([], default)).Should().BeEmpty();
    }
}
