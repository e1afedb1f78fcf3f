using System.Text.Json;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary><c>lmvp get</c>: one file from a server without a clone, by any revision, verified, resumed after a cut.</summary>
[TestFixture]
public sealed class GetCommandTests
{
    [Test]
    public async Task Get_WritesOneFileOfAnyRevision_Verified_WithoutAClone()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var url = $"{server.BaseUrl}/{await server.CreateRepositoryAsync(alice.WriteToken, "model")}";
        using var machine = new ClientMachine(alice.WriteToken);
        var first = TestData.Random(2 * TestData.MiB, 31);
        machine.Write("work/ckpt/model.bin", first);
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "commit", "-m", "one");
        await machine.LmvpOkAsync("work", "tag", "v1");
        machine.Write("work/ckpt/model.bin", TestData.Random(TestData.MiB, 32));
        await machine.LmvpOkAsync("work", "commit", "-m", "two");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", url);
        await machine.LmvpOkAsync("work", "push");
        await machine.LmvpOkAsync("work", "push", "--tags");

        Directory.CreateDirectory(machine.PathOf("out"));
        var run = await machine.LmvpOkAsync("out", "get", url, "ckpt/model.bin", "--rev", "v1", "--json");
        var answer = JsonDocument.Parse(run.Out).RootElement;
        answer.GetProperty("size").GetInt64().Should().Be(first.Length);
        File.ReadAllBytes(machine.PathOf("out/model.bin")).Should().Equal(first);
        await machine.LmvpOkAsync("out", "get", url, "ckpt/model.bin", "-o", "latest.bin");
        File.ReadAllBytes(machine.PathOf("out/latest.bin")).Should().Equal(File.ReadAllBytes(machine.PathOf("work/ckpt/model.bin")));
        Directory.GetFiles(machine.PathOf("out")).Should().HaveCount(2, "no partial file is left");

        var missing = await machine.LmvpAsync("out", "get", url, "ckpt/nope.bin");
        missing.ExitCode.Should().Be(1);
        missing.Error.Trim().Should().Contain("nope.bin").And.NotContain("\n");
        (await machine.LmvpAsync("out", "get", url, "ckpt/model.bin", "--rev", "no-such-tag")).Error.Should().Contain("no-such-tag");
    }

    [Test]
    public async Task Get_CutOffHalfway_ResumesAndFetchesOnlyTheRest()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var url = $"{server.BaseUrl}/{await server.CreateRepositoryAsync(alice.WriteToken, "model")}";
        using var machine = new ClientMachine(alice.WriteToken);
        const int size = 16 * TestData.MiB;
        var content = TestData.Random(size, 33);
        machine.Write("work/big.bin", content);
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "commit", "-m", "big");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", url);
        await machine.LmvpOkAsync("work", "push");

        await using var relay = new TcpRelay(server.Port);
        var relayed = new UriBuilder(url) { Port = relay.Port }.Uri.ToString().TrimEnd('/');
        Directory.CreateDirectory(machine.PathOf("out"));
        using var process = machine.StartLmvp("out", "get", relayed, "big.bin");
        relay.HoldWhen(upstream: false, size / 2, () => process.Kill(entireProcessTree: true));
        var killed = await LmvpProcess.WaitAsync(process);
        relay.CutHeld();
        killed.ExitCode.Should().NotBe(0);
        File.Exists(machine.PathOf("out/big.bin")).Should().BeFalse("nothing unverified takes the file's name");

        relay.ResetCounters();
        var resumed = JsonDocument.Parse((await machine.LmvpOkAsync("out", "get", relayed, "big.bin", "--json")).Out).RootElement;
        File.ReadAllBytes(machine.PathOf("out/big.bin")).Should().Equal(content);
        resumed.GetProperty("bytesReceived").GetInt64().Should().BeLessThan(size * 3 / 4, "the bytes kept before the kill are not fetched again");
        relay.Downstream.Should().BeLessThan(size * 3 / 4);
    }
}
