using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lmvp.Server.Storage;
using Lmvp.Server.Tests.Server;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>The findings of the attacker's and careless teammate's review (issue 12), each against a real server on loopback.</summary>
[TestFixture]
public sealed class SafetyEndToEndTests
{
    [Test]
    public async Task Upload_ManifestFiledUnderAnotherFilesId_IsRefused_SoNoBranchCanPointAtIt()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var honest = TestData.Random(300_000, 1);
        var other = TestData.Random(300_000, 2);
        client.CommitFiles("one", ("a.bin", honest));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks()))).Status.Should().Be(HttpStatusCode.OK);

        // a.bin's chunks filed under the id of other bytes, with a tree and a commit that name it.
        var real = client.Repository.Store.GetManifest(ObjectId.Compute(honest));
        var forgedId = ObjectId.Compute(other);
        var forged = new FileManifest(forgedId, real.Size, real.Chunks);
        var tree = Tree.Create([new TreeEntry("b.bin", TreeEntryKind.File, false, forged.Size, forgedId)]);
        var commit = Commit.Create(tree.Id, [], "mallory", DateTimeOffset.UnixEpoch, "swap", [], null);
        var frames = Wire.Frames([new WireObject(ObjectKind.Manifest, forgedId, forged.Encode()), new WireObject(ObjectKind.Tree, tree.Id, tree.Encode()),
            new WireObject(ObjectKind.Commit, commit.Id, commit.Encoded)]);

        var (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", frames);

        status.Should().Be(HttpStatusCode.BadRequest, body.ToString());
        body.Error().Should().Contain(forgedId.ToString()).And.Contain("does not verify").And.Contain("nothing was stored");
        (await Wire.MissingAsync(http, repo, "objects", [forgedId, tree.Id, commit.Id])).Should().HaveCount(3, "the whole upload was refused");
        var (move, moveBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, commit.Id);
        move.Should().Be(HttpStatusCode.UnprocessableEntity, moveBody.ToString());
        (await Wire.RefsAsync(http, repo)).Should().BeEmpty();
    }

    [Test]
    public async Task Download_OfAFileStoredBeforeUploadsWereVerified_ThatDoesNotVerify_IsAClearErrorForThatFileOnly()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var honest = TestData.Random(300_000, 5);
        var first = client.CommitFiles("one", ("a.bin", honest));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, first.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        // What an older server let in: a.bin's chunks filed as b.bin under another id, written straight into the metadata store.
        var record = (await server.Metadata.Repositories.FindRepositoryAsync("alice", "model", default))!;
        var real = client.Repository.Store.GetManifest(ObjectId.Compute(honest));
        var forgedId = ObjectId.Compute(TestData.Random(300_000, 6));
        var forged = new FileManifest(forgedId, real.Size, real.Chunks);
        var tree = Tree.Create([new TreeEntry("a.bin", TreeEntryKind.File, false, real.Size, real.FileId),
            new TreeEntry("b.bin", TreeEntryKind.File, false, forged.Size, forgedId)]);
        var commit = Commit.Create(tree.Id, [first.Id], "mallory", DateTimeOffset.UnixEpoch, "swap", [], null);
        MetadataObject[] objects = [new(forgedId, ObjectKind.Manifest, forged.Encode()), new(tree.Id, ObjectKind.Tree, tree.Encode()),
            new(commit.Id, ObjectKind.Commit, commit.Encoded)];
        await server.Metadata.Objects.PutObjectsAsync(record.Id, objects.ToAsyncEnumerable(), default);
        (await server.Metadata.Refs.CompareAndSwapRefAsync(record.Id, "refs/heads/main", first.Id, commit.Id,
            new RefMoveLog(RefMoveKinds.Force, "push", null, "mallory", null, "token"), default)).Should().Be(RefUpdateOutcome.Updated);

        using var bad = await http.GetAsync($"api/v1/repos/{repo}/resolve/main/b.bin");
        bad.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        using (var doc = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()))
        {
            doc.RootElement.GetProperty("code").GetString().Should().Be("damaged");
            doc.RootElement.GetProperty("error").GetString().Should().Contain("'b.bin'").And.Contain(forgedId.ToString()).And.Contain("hash to");
        }

        (await http.GetByteArrayAsync($"api/v1/repos/{repo}/resolve/main/a.bin")).Should().Equal(honest, "only the file that does not verify is refused");

        using var site = await SiteClient.SignInAsync(server.BaseUrl, "alice", alice.Password);
        using var page = await site.Http.GetAsync($"repos/{repo}/raw/main/b.bin");
        page.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await page.Content.ReadAsStringAsync()).Should().Contain("b.bin").And.Contain("damaged");
    }

    [Test]
    public async Task Clone_BitFlippedInAServerPack_SaysTheServersCopyOfThatChunkIsDamaged_NotAConnectionFailure()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var machine = new EndToEnd.ClientMachine(alice.WriteToken);
        machine.Write("work/weights.bin", TestData.Random(2 * TestData.MiB, 3));
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "commit", "-m", "epoch 1");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", $"{server.BaseUrl}/{repo}");
        await machine.LmvpOkAsync("work", "push");
        var (intact, intactOut) = await VerifyAsync(server.DataDirectory);
        intact.Should().Be(0, intactOut);
        intactOut.Should().Contain($"{repo}: ok: ");

        var pack = Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(p => p.Contains($"{Path.DirectorySeparatorChar}packs{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderByDescending(p => new FileInfo(p).Length).First();
        FlipByte(pack, new FileInfo(pack).Length / 2);

        var clone = await machine.LmvpAsync("", "clone", $"{server.BaseUrl}/{repo}", "copy");

        clone.ExitCode.Should().NotBe(0);
        clone.Error.Should().Contain("the server's copy of chunk").And.Contain("(file weights.bin").And.Contain("is damaged").And.Contain("not retried");
        clone.Error.Should().NotContain("connection reset").And.NotContain("cannot reach");

        // lmvp-server admin verify finds the same chunk and names the file, the commit and the branch that use it.
        var (code, report) = await VerifyAsync(server.DataDirectory, repo);
        code.Should().Be(1, report);
        var damaged = report.Split('\n').Where(l => l.StartsWith("  chunk ", StringComparison.Ordinal)).ToList();
        damaged.Should().ContainSingle(report);
        report.Should().Contain("used by weights.bin in commit").And.Contain("refs: refs/heads/main").And.Contain($"{repo}: DAMAGED: 1 damaged chunks");
        clone.Error.Should().Contain(damaged[0].Trim().Split(' ')[1].TrimEnd(':')[..8], "the client named the same chunk");
    }

    private static async Task<(int Code, string Output)> VerifyAsync(string dataDirectory, params string[] repository)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ServerCommandLine.RunAsync(["admin", "verify", .. repository, "--data", dataDirectory], output, error, new StringReader(""));
        return (code, output.ToString() + error);
    }

    [Test]
    public async Task Login_AfterTenWrongPasswords_Is429WithRetryAfter_EvenWithTheRightOne_WhileOthersSignInAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var bob = await server.CreateUserAsync("bob");
        using var http = server.CreateClient();

        for (var i = 0; i < Auth.SignInThrottle.AccountLimit; i++)
        {
            using var wrong = await http.PostAsJsonAsync("api/v1/auth/login", new { username = "alice", password = "guess" + i });
            wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "attempt {0} is within the limit", i + 1);
        }

        using var refused = await http.PostAsJsonAsync("api/v1/auth/login", new { username = "alice", password = alice.Password });
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThan(TimeSpan.Zero);
        using (var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            doc.RootElement.GetProperty("code").GetString().Should().Be("throttled");
            doc.RootElement.GetProperty("error").GetString().Should().Contain("too many failed sign-ins");
        }

        using var other = await http.PostAsJsonAsync("api/v1/auth/login", new { username = "bob", password = bob.Password });
        other.StatusCode.Should().Be(HttpStatusCode.OK, "one account under attack delays nobody else");

        // The web form counts against the same account.
        using var site = SiteClient.Anonymous(server.BaseUrl);
        var token = await site.FormTokenAsync("signin");
        using var web = await site.PostFormAsync("signin", new() { ["_csrf"] = token, ["username"] = "alice", ["password"] = alice.Password });
        web.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        web.Headers.RetryAfter.Should().NotBeNull();

        using var audit = server.CreateClient(server.AdminToken);
        var log = await audit.GetStringAsync("api/v1/admin/audit?limit=100");
        log.Should().Contain("signin.failed").And.Contain("signin.throttled").And.Contain("\"signin\"");
    }

    [Test]
    public async Task ForcePush_OverProtectedMain_NeedsAdmin_EveryMoveIsInTheRefHistory_AndAnAdminRestoresTheOldTip()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var bob = await server.CreateUserAsync("bob");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        await server.AddMemberAsync(alice.AdminToken, repo, "bob", "write");
        var url = $"{server.BaseUrl}/{repo}";
        using var a = new EndToEnd.ClientMachine(alice.WriteToken);
        using var b = new EndToEnd.ClientMachine(bob.WriteToken);
        a.Write("work/w.bin", TestData.Random(100_000, 1));
        await a.LmvpOkAsync("work", "init");
        await a.LmvpOkAsync("work", "commit", "-m", "one");
        a.Write("work/w.bin", TestData.Random(100_000, 2));
        await a.LmvpOkAsync("work", "commit", "-m", "two");
        await a.LmvpOkAsync("work", "remote", "add", "origin", url);
        await a.LmvpOkAsync("work", "push");
        await b.LmvpOkAsync("", "clone", url, "mine");
        string tip;
        using (var r = Repository.Open(b.PathOf("mine")))
        {
            tip = r.Head!.Value.ToString();
        }

        // bob rewrites main: a commit on top of "one" instead of "two".
        await b.LmvpOkAsync("mine", "checkout", "-b", "side", "HEAD~1");
        b.Write("mine/w.bin", TestData.Random(100_000, 3));
        await b.LmvpOkAsync("mine", "commit", "-m", "rewrite");
        await b.LmvpOkAsync("mine", "branch", "-f", "main", "side");
        await b.LmvpOkAsync("mine", "checkout", "main");

        var refused = await b.LmvpAsync("mine", "push", "--force");
        refused.ExitCode.Should().NotBe(0);
        refused.Error.Should().Contain("protected branch").And.Contain("admin");

        using var bobHttp = server.CreateClient(bob.WriteToken);
        (await bobHttp.GetStringAsync($"api/v1/repos/{repo}/protection")).Should().Contain("\"main\"");
        using var admin = server.CreateClient(alice.AdminToken);
        using (var unprotect = await admin.PutAsJsonAsync($"api/v1/repos/{repo}/protection", new { branches = Array.Empty<string>() }))
        {
            unprotect.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        await b.LmvpOkAsync("mine", "push", "--force");

        var history = JsonDocument.Parse(await bobHttp.GetStringAsync($"api/v1/repos/{repo}/refs/history?ref=main")).RootElement.GetProperty("entries");
        history.GetArrayLength().Should().Be(2);
        history[0].GetProperty("kind").GetString().Should().Be("force");
        history[0].GetProperty("user").GetString().Should().Be("bob");
        history[0].GetProperty("old").GetString().Should().Be(tip);
        history[0].GetProperty("token").ValueKind.Should().Be(JsonValueKind.Object, "the token used is recorded");
        history[1].GetProperty("kind").GetString().Should().Be("create");
        history[1].GetProperty("user").GetString().Should().Be("alice");

        using (var byWriter = await bobHttp.PostAsJsonAsync($"api/v1/repos/{repo}/refs/restore", new { @ref = "main", target = tip }))
        {
            byWriter.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        using (var restored = await admin.PostAsJsonAsync($"api/v1/repos/{repo}/refs/restore", new { @ref = "main", target = tip }))
        {
            restored.StatusCode.Should().Be(HttpStatusCode.OK, await restored.Content.ReadAsStringAsync());
        }

        (await Wire.RefsAsync(bobHttp, repo))["refs/heads/main"].Should().Be(tip);
        (await a.LmvpOkAsync("work", "pull")).ExitCode.Should().Be(0, "alice's commits are main again");
        (await server.CreateClient(server.AdminToken).GetStringAsync("api/v1/admin/audit")).Should().Contain("ref.forced").And.Contain("ref.restored");
        using var site = await SiteClient.SignInAsync(server.BaseUrl, "bob", bob.Password);
        (await site.Http.GetStringAsync($"repos/{repo}/refs/history")).Should().Contain("force").And.Contain(tip[..7]);
    }

    [TestCase("refs/heads/.hidden")]
    [TestCase("refs/heads/a.")]
    [TestCase("refs/heads/a@{b}")]
    [TestCase("refs/heads/a..b")]
    [TestCase("refs/heads/x.lock")]
    [TestCase("refs/heads/a b")]
    public async Task RefUpdate_NameOutsideGitsRules_IsRefusedByServerAndClient(string name)
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("one", ("a.bin", TestData.Random(1000, 1)));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, commit.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        var (status, body) = await Wire.UpdateRefAsync(http, repo, name, null, commit.Id);

        status.Should().Be(HttpStatusCode.BadRequest, body.ToString());
        body.Error().Should().Contain("not a valid ref name");
        var branch = () => client.Repository.CreateBranch(name["refs/heads/".Length..]);
        branch.Should().Throw<ArgumentException>().WithMessage("*not a valid branch name*");
    }

    [Test]
    public async Task Closure_TenThousandWantsAndTenThousandHaves_AsDocumented_IsAnsweredNot413()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("one", ("a.bin", TestData.Random(1000, 1)));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, commit.Id, null)).Status.Should().Be(HttpStatusCode.OK);
        var others = Enumerable.Range(0, 10_000).Select(i => ObjectId.Compute(BitConverter.GetBytes(i)).ToString()).ToArray();

        var (status, frames, error) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/objects/closure",
            new { want = Enumerable.Repeat(commit.Id.ToString(), 10_000).ToArray(), have = others });

        status.Should().Be(HttpStatusCode.OK, error.ToString());
        frames.Should().Contain(f => f.Id == commit.Id);
    }

    [Test]
    public async Task Push_ToAFullDisk_Is507_TheClientSaysSoInOneLineWithoutRetrying_AndNothingIsKept()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Ignore("a real full file system needs a tmpfs mount, which needs root; skipped");
        }

        using var mountPoint = new TempDirectory("full-disk");
        if (!await RunAsync("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint.Path))
        {
            Assert.Ignore("cannot mount a tmpfs here; skipped");
        }

        try
        {
            await using var server = await TestServer.StartAsync(Path.Combine(mountPoint.Path, "data"));
            var alice = await server.CreateUserAsync("alice");
            var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
            using var machine = new EndToEnd.ClientMachine(alice.WriteToken);
            machine.Write("work/weights.bin", TestData.Random(16 * TestData.MiB, 4));
            await machine.LmvpOkAsync("work", "init");
            await machine.LmvpOkAsync("work", "commit", "-m", "too big");
            await machine.LmvpOkAsync("work", "remote", "add", "origin", $"{server.BaseUrl}/{repo}");

            var push = await machine.LmvpAsync("work", "push");

            push.ExitCode.Should().NotBe(0);
            push.Error.Should().Contain("out of storage (507)").And.Contain("storage is full");
            push.Error.Should().NotContain("retr", "a full disk answers the same however often it is asked");
            using var http = server.CreateClient(alice.WriteToken);
            (await Wire.RefsAsync(http, repo)).Should().BeEmpty();
            Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "tmp")).Should().BeEmpty("the spool of the refused request went with it");
        }
        finally
        {
            await RunAsync("umount", "-l", mountPoint.Path);
        }
    }

    private static async Task<bool> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x40));
    }
}
