using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Postgres;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Tests.Support;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The metadata contract against PostgreSQL: a fresh database of the run's private server for each test.</summary>
[TestFixture]
public sealed class PostgresMetadataTests : MetadataContract
{
    private readonly List<PostgresDatabase> _databases = [];

    internal override async Task<MetadataStores> CreateStoresAsync() => (await OpenAsync()).Stores();

    private async Task<PostgresDatabase> OpenAsync()
    {
        var pg = await ScaleOut.PostgresAsync();
        var db = await PostgresDatabase.OpenAsync(await pg.CreateDatabaseAsync("meta"), TimeProvider.System);
        _databases.Add(db);
        return db;
    }

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }
    }

    [Test]
    public async Task Migrate_OnANewDatabase_ReachesTheLatestVersion_AndIsANoOpAfterwards()
    {
        var db = await OpenAsync();
        (await db.VersionAsync(default)).Should().Be(db.LatestVersion);
        (await db.MigrateAsync(default)).Should().Be((db.LatestVersion, db.LatestVersion));
    }

    [Test]
    public async Task Migrate_FromManyServersAtOnce_AppliesEachStepOnce()
    {
        var pg = await ScaleOut.PostgresAsync();
        var connection = await pg.CreateDatabaseAsync("race");
        var databases = Enumerable.Range(0, 6).Select(_ => PostgresDatabase.Connect(connection, TimeProvider.System)).ToList();
        try
        {
            var results = await Task.WhenAll(databases.Select(d => Task.Run(() => d.MigrateAsync(default))));
            results.Should().OnlyContain(r => r.To == databases[0].LatestVersion);
            results.Count(r => r.From == 0).Should().BeGreaterThanOrEqualTo(1);
            (await databases[0].Stores().Users.CreateUserAsync("after", null, false, default)).Should().NotBeNull();
        }
        finally
        {
            foreach (var d in databases)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task Refs_CompareAndSwapFromSeparateConnectionPools_HasExactlyOneWinner()
    {
        // Each pool stands for a server process of its own: nothing in memory is shared, only the database.
        var pg = await ScaleOut.PostgresAsync();
        var connection = await pg.CreateDatabaseAsync("cas");
        var servers = Enumerable.Range(0, 8).Select(_ => PostgresDatabase.Connect(connection, TimeProvider.System)).ToList();
        try
        {
            await servers[0].MigrateAsync(default);
            var s = servers[0].Stores();
            var owner = (await s.Users.CreateUserAsync("owner", null, false, default))!;
            var repo = (await s.Repositories.CreateRepositoryAsync(owner.Id, "model", false, "", default))!;
            var start = Lmvp.Store.ObjectId.Compute([0]);
            (await s.Refs.CompareAndSwapRefAsync(repo.Id, "refs/heads/main", null, start, default)).Should().Be(RefUpdateOutcome.Updated);

            var outcomes = await Task.WhenAll(servers.Select((server, i) => Task.Run(() => server.Stores().Refs.CompareAndSwapRefAsync(repo.Id, "refs/heads/main", start,
                Lmvp.Store.ObjectId.Compute([(byte)(i + 1)]), default))));
            outcomes.Count(o => o == RefUpdateOutcome.Updated).Should().Be(1);
            var winner = Array.IndexOf(outcomes, RefUpdateOutcome.Updated);
            (await s.Refs.GetRefAsync(repo.Id, "refs/heads/main", default)).Should().Be(Lmvp.Store.ObjectId.Compute([(byte)(winner + 1)]));
        }
        finally
        {
            foreach (var d in servers)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Test]
    public void Connect_AcceptsAPostgresUrl_AndRefusesOneWithoutADatabase()
    {
        PostgresDatabase.IsConnectionString("postgres://lmvp:secret@db.example:5433/lmvp").Should().BeTrue();
        PostgresDatabase.IsConnectionString("/srv/lmvp").Should().BeFalse();
        using var _ = (IDisposable)new DisposableAsync(PostgresDatabase.Connect("postgres://lmvp:s%40cret@db.example:5433/lmvp?sslmode=disable", TimeProvider.System));
        var bad = () => PostgresDatabase.Connect("postgres://db.example:5433/", TimeProvider.System);
        bad.Should().Throw<ArgumentException>().WithMessage("*names no database*");
    }

    private sealed class DisposableAsync(PostgresDatabase db) : IDisposable
    {
        public void Dispose()
        {
            db.Description.Should().Be("PostgreSQL database lmvp on db.example:5433", "the description never shows the password");
            db.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
