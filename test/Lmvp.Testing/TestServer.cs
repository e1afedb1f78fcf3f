using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lmvp.Server.Auth;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Testing.ScaleOut;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lmvp.Testing;

/// <summary>A real lmvp-server (Kestrel on 127.0.0.1, a free port) over a fresh temporary data directory.</summary>
/// <remarks>
/// <code>
/// await using var server = await TestServer.StartAsync();
/// var alice = await server.CreateUserAsync("alice");
/// await server.CreateRepositoryAsync(alice.WriteToken, "model", isPrivate: true);
/// using var http = server.CreateClient(alice.WriteToken);       // BaseAddress = server.BaseUrl
/// var refs = await http.GetAsync("/api/v1/repos/alice/model/refs");
/// </code>
/// The server runs in the test process but is reached only over TCP with real HTTP, exactly as a client reaches it.
/// Users and tokens are made directly in the data directory (as `lmvp-server admin` does); repositories and members
/// through the API. Disposing stops the server and deletes the data directory.
/// </remarks>
public sealed class TestServer : IAsyncDisposable
{
    private ServerHost? _host;
    private readonly bool _ownsDirectory;

    private readonly TestServerOptions _options;
    private readonly SharedStorage? _shared;

    private TestServer(ServerHost host, string dataDirectory, bool ownsDirectory, TestServerOptions options, SharedStorage? shared = null)
    {
        _options = options;
        _shared = shared;
        _host = host;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        BaseUrl = host.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)).TrimEnd('/');
        AdminToken = host.BootstrapResult?.Token ?? "";
        AdminPassword = host.BootstrapResult?.Password ?? "";
    }

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string BaseUrl { get; private set; }

    /// <summary>The port the server listens on.</summary>
    public int Port => new Uri(BaseUrl).Port;

    /// <summary>The server's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The admin-scoped token of the server admin 'admin' made on first start ("" when the directory was not new).</summary>
    public string AdminToken { get; }

    /// <summary>The password of 'admin' from first start.</summary>
    public string AdminPassword { get; }

    /// <summary>The running server's services (stores, for white-box checks of what was kept).</summary>
    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The server is stopped.")).Services;

    internal MetadataStores Metadata => Services.GetRequiredService<MetadataStores>();

    internal Lmvp.Server.Services.ChunkStore Chunks => Services.GetRequiredService<Lmvp.Server.Services.ChunkStore>();

    /// <summary>Starts a server on a free loopback port; over a new temporary directory unless <paramref name="dataDirectory"/> is given.</summary>
    public static Task<TestServer> StartAsync(string? dataDirectory = null, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, new TestServerOptions(), cancellationToken);

    /// <summary>Starts a server whose blob store <paramref name="decorateBlobs"/> wraps (to inject faults).</summary>
    internal static Task<TestServer> StartAsync(string? dataDirectory, Func<IBlobStore, IBlobStore>? decorateBlobs, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, new TestServerOptions(decorateBlobs), cancellationToken);

    /// <summary>Starts a server that differs from the default as <paramref name="options"/> say.</summary>
    internal static async Task<TestServer> StartAsync(string? dataDirectory, TestServerOptions options, CancellationToken cancellationToken = default)
    {
        var owns = dataDirectory is null;
        var directory = dataDirectory ?? Path.Combine(Path.GetTempPath(), $"lmvp-server-test-{Guid.NewGuid():N}");
        var host = await StartHostAsync(directory, 0, options, cancellationToken);
        return new TestServer(host, directory, owns, options);
    }

    /// <summary>Starts a server on shared storage (PostgreSQL and an S3 bucket) with no data directory; several may share one.</summary>
    internal static async Task<TestServer> StartSharedAsync(SharedStorage shared, CancellationToken cancellationToken = default)
    {
        var options = new TestServerOptions();
        var host = await StartHostAsync(null, 0, options, cancellationToken, shared);
        return new TestServer(host, "", false, options, shared);
    }

    /// <summary>The storage this server runs on.</summary>
    internal StorageSettings Storage => _shared is { } s ? new StorageSettings(null, s.Database, s.Packs) : new StorageSettings(DataDirectory, null, null);

    /// <summary>An HttpClient with <see cref="BaseUrl"/> as its base address and, when given, <c>Authorization: Bearer token</c>.</summary>
    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Creates a user with a password and one personal access token of each scope.</summary>
    public async Task<TestUser> CreateUserAsync(string name, bool admin = false, CancellationToken cancellationToken = default)
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var user = await Accounts.CreateUserAsync(Metadata, name, password, admin, cancellationToken);
        var read = await Accounts.CreateTokenAsync(Metadata, user.Id, "test-read", AccessLevel.Read, null, cancellationToken);
        var write = await Accounts.CreateTokenAsync(Metadata, user.Id, "test-write", AccessLevel.Write, null, cancellationToken);
        var adminToken = await Accounts.CreateTokenAsync(Metadata, user.Id, "test-admin", AccessLevel.Admin, null, cancellationToken);
        return new TestUser(name, password, read.Token, write.Token, adminToken.Token);
    }

    /// <summary>Creates a personal access token for an existing user; <paramref name="expiresAt"/> may be in the past.</summary>
    public async Task<string> CreateTokenAsync(string userName, string scope = "write", DateTimeOffset? expiresAt = null,
        CancellationToken cancellationToken = default)
    {
        var user = await Metadata.Users.FindUserAsync(userName, cancellationToken) ?? throw new ArgumentException($"no user {userName}", nameof(userName));
        if (!AccessLevels.TryParse(scope, out var level))
        {
            throw new ArgumentException($"bad scope {scope}", nameof(scope));
        }

        return (await Accounts.CreateTokenAsync(Metadata, user.Id, "test", level, expiresAt, cancellationToken)).Token;
    }

    /// <summary>Creates a repository through the API (POST /api/v1/repos) as the token's user; returns "owner/name".</summary>
    public async Task<string> CreateRepositoryAsync(string ownerToken, string name, bool isPrivate = true, CancellationToken cancellationToken = default)
    {
        using var http = CreateClient(ownerToken);
        using var response = await http.PostAsJsonAsync("api/v1/repos", new { name, @private = isPrivate }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating repository {name}: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("fullName").GetString()!;
    }

    /// <summary>Gives <paramref name="userName"/> a role (read, write, admin) in <paramref name="repository"/> ("owner/name") through the API.</summary>
    public async Task AddMemberAsync(string adminToken, string repository, string userName, string role, CancellationToken cancellationToken = default)
    {
        using var http = CreateClient(adminToken);
        using var response = await http.PutAsJsonAsync($"api/v1/repos/{repository}/members/{userName}", new { role }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"adding {userName} to {repository}: {(int)response.StatusCode} "
                + await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    /// <summary>Stops the server (the data directory stays) and starts it again on the same port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var port = Port;
        await StopAsync();
        _host = await StartHostAsync(_shared is null ? DataDirectory : null, port, _options, cancellationToken, _shared);
    }

    /// <summary>Stops the server; the data directory stays until dispose.</summary>
    public async Task StopAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static Task<ServerHost> StartHostAsync(string? directory, int port, TestServerOptions options, CancellationToken cancellationToken,
        SharedStorage? shared = null) =>
        ServerHost.StartAsync(new ServerOptions
        {
            DataDirectory = directory,
            Database = shared?.Database,
            Packs = shared?.Packs,
            Urls = [$"http://127.0.0.1:{port}"],
            Out = TextWriter.Null,
            MinimumLogLevel = LogLevel.Warning,
            DecorateBlobs = options.DecorateBlobs,
            RequireSignIn = options.RequireSignIn,
        }, cancellationToken);
}

/// <summary>How a test server differs from the default.</summary>
/// <param name="DecorateBlobs">Wraps the blob store (to inject faults).</param>
/// <param name="RequireSignIn">Refuse requests without an account (lmvp-server --require-sign-in).</param>
internal sealed record TestServerOptions(Func<IBlobStore, IBlobStore>? DecorateBlobs = null, bool RequireSignIn = false);
