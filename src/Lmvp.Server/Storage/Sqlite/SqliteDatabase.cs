using System.Data.Common;
using Lmvp.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Lmvp.Server.Storage.Sqlite;

/// <summary>The embedded metadata database: one SQLite file (WAL) in the data directory.</summary>
/// <remarks>Writes run in <c>BEGIN IMMEDIATE</c> transactions (the default of a SQLite transaction here), so SQLite's single
/// writer serializes them and a read-then-write inside one transaction is atomic.</remarks>
internal sealed class SqliteDatabase : SqlDatabase
{
    /// <summary>The database's file name inside the data directory.</summary>
    public const string FileName = "server.db";

    /// <summary>A connection's page cache: 512 KiB (negative: in KiB).</summary>
    private const string CacheSizePragma = "PRAGMA cache_size=-512";

    private readonly string _path;
    private readonly string _connectionString;

    private SqliteDatabase(string path, TimeProvider time)
        : base(time)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Description => _path;

    public override SqlDialect Dialect => SqlDialect.Sqlite;

    /// <summary>Opens (creating if needed) the database in <paramref name="dataDirectory"/> and brings its schema up to date.</summary>
    public static async Task<SqliteDatabase> OpenAsync(string dataDirectory, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var db = new SqliteDatabase(Path.Combine(dataDirectory, FileName), time);
        await using (var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await NonQueryAsync(c, null, "PRAGMA journal_mode=WAL", cancellationToken).ConfigureAwait(false);
        }

        await db.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return db;
    }

    /// <summary>Every metadata aggregate over this database.</summary>
    public MetadataStores Stores() => SqlStores.Create(this);

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Each pooled connection keeps its own page cache, 2 MiB by default; the file's pages stay in the OS page cache anyway.
            await NonQueryAsync(connection, null, CacheSizePragma, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
