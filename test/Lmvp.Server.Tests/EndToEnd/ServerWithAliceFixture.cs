using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>A fixture's one real lmvp-server on a loopback port, with the user alice, shared by its tests.</summary>
public abstract class ServerWithAliceFixture
{
    /// <summary>The server, started once for the fixture.</summary>
    protected TestServer Server { get; private set; } = null!;

    /// <summary>alice, a user of <see cref="Server"/> with a write token.</summary>
    protected TestUser Alice { get; private set; } = null!;

    /// <summary>Starts the server and creates alice.</summary>
    [OneTimeSetUp]
    public async Task StartServerAsync()
    {
        Server = await TestServer.StartAsync();
        Alice = await Server.CreateUserAsync("alice");
    }

    /// <summary>Stops the server.</summary>
    [OneTimeTearDown]
    public async Task StopServerAsync() => await Server.DisposeAsync();
}
