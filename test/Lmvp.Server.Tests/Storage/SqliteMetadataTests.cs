using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The metadata contract against the embedded provider: SQLite files in a temporary directory.</summary>
[TestFixture]
public sealed class SqliteMetadataTests : MetadataContract
{
    private readonly List<string> _directories = [];

    internal override async Task<MetadataStores> CreateStoresAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"lmvp-meta-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        return (await SqliteDatabase.OpenAsync(directory, TimeProvider.System)).Stores();
    }

    [OneTimeTearDown]
    public void DeleteDirectories()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task Migrate_BringsAVersionOneDatabaseToTheLatest_AndKeepsItsRows()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"lmvp-meta-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        var first = await SqliteDatabase.OpenAsync(directory, TimeProvider.System);
        (await first.Stores().Users.CreateUserAsync("kept", null, false, default)).Should().NotBeNull();
        await using (var c = await first.OpenAsync(default))
        {
            // Back to the first release's schema: no shared keys (v4), no uploads or digests (v3), no chunk index in server.db (v2), version 1.
            foreach (var sql in new[] { "DROP TABLE uploads", "DROP TABLE upload_parts", "DROP TABLE file_digests", "DROP TABLE chunks", "DROP TABLE packs", "DROP TABLE server_keys", "DROP TABLE web_keys", "DROP INDEX users_by_lower_name", "DROP INDEX repositories_by_lower_name",
                "UPDATE meta SET value = '1' WHERE key = 'schema_version'" })
            {
                await Lmvp.Server.Storage.Sql.SqlDatabase.NonQueryAsync(c, null, sql, default);
            }
        }

        var reopened = await SqliteDatabase.OpenAsync(directory, TimeProvider.System);
        (await reopened.VersionAsync(default)).Should().Be(reopened.LatestVersion);
        (await reopened.Stores().Users.FindUserAsync("kept", default)).Should().NotBeNull();
        (await reopened.Stores().Chunks.ListPacksAsync(1, default)).Should().BeEmpty();
    }
}
