using Lmvp.Server.Hosting;
using Lmvp.Server.Services.Maintenance;
using Lmvp.Server.Tests.EndToEnd;
using Lmvp.Server.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Maintenance;

/// <summary><c>lmvp-server admin migrate-storage</c>: an embedded server's data moved into PostgreSQL + S3, interrupted and resumed.</summary>
[TestFixture]
[NonParallelizable]
public sealed class MigrateStorageTests
{
    [Test]
    public async Task MigrateStorage_InterruptedThenRunAgain_MovesEveryRepository_AndTokensAndClonesStayTheSame()
    {
        var shared = await Backend.NewSharedAsync("migrate");
        using var scratch = new TempDirectory("migrate");
        await using var embedded = await TestServer.StartAsync();
        var alice = await embedded.CreateUserAsync("alice");
        var bob = await embedded.CreateUserAsync("bob");
        using var machine = new ClientMachine(alice.WriteToken);
        var repositories = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var repo = await embedded.CreateRepositoryAsync(alice.WriteToken, $"model-{i}", isPrivate: i != 1);
            await embedded.AddMemberAsync(alice.AdminToken, repo, "bob", "read");
            var dir = $"work{i}";
            machine.Write($"{dir}/weights.bin", TestData.Random((i + 1) * TestData.MiB, 10 + i));
            await machine.LmvpOkAsync(dir, "init");
            await machine.LmvpOkAsync(dir, "commit", "-m", "first", "--author", "A <a@example.com>");
            machine.Write($"{dir}/config.json", System.Text.Encoding.UTF8.GetBytes($"{{\"run\": {i}}}"));
            await machine.LmvpOkAsync(dir, "commit", "-m", "second", "--author", "A <a@example.com>");
            await machine.LmvpOkAsync(dir, "tag", "v1");
            await machine.LmvpOkAsync(dir, "remote", "add", "origin", $"{embedded.BaseUrl}/{repo}");
            await machine.LmvpOkAsync(dir, "push", "--tags");
            await machine.LmvpOkAsync(dir, "push");
            repositories.Add(repo);
        }

        await embedded.StopAsync();
        var target = new StorageSettings(null, shared.Database, shared.Packs);

        // Stopped once the first repository is done: what was copied stays, and the run after picks up from there.
        using var stop = new CancellationTokenSource();
        var interrupted = () => StorageMigration.RunAsync(embedded.DataDirectory, target, line =>
        {
            if (line.Contains(": packs copied", StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }, stop.Token);
        await interrupted.Should().ThrowAsync<OperationCanceledException>();

        var run = await AdminRun.RunAsync(["admin", "migrate-storage", "--from", embedded.DataDirectory, .. shared.InProcessArguments(scratch.Combine("secret"))]);
        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Should().MatchRegex(@"migrated 3 repositories: .* [1-9]\d* already there", "the first repository's packs were copied before the stop");

        await using var moved = await TestServer.StartSharedAsync(shared);
        moved.AdminToken.Should().BeEmpty("the users came along, so nobody is bootstrapped");
        using var reader = new ClientMachine(bob.ReadToken);
        for (var i = 0; i < repositories.Count; i++)
        {
            await reader.LmvpOkAsync("", "clone", $"{moved.BaseUrl}/{repositories[i]}", $"copy{i}");
            reader.Fingerprint($"copy{i}").Should().Equal(machine.Fingerprint($"work{i}"), "{0} is byte-identical after the move", repositories[i]);
            (await reader.LmvpOkAsync($"copy{i}", "log", "--oneline")).Out.Should().Contain("second").And.Contain("first");
        }

        var verify = await AdminRun.RunAsync(["admin", "verify", .. shared.InProcessArguments(scratch.Combine("secret"))]);
        verify.ExitCode.Should().Be(0, verify.ToString());
        var again = await AdminRun.RunAsync(["admin", "migrate-storage", "--from", embedded.DataDirectory, .. shared.InProcessArguments(scratch.Combine("secret"))]);
        again.Out.Should().Contain("0 packs copied", "everything is there already");
    }
}
