using System.Data.Common;
using Lmvp.Server.Storage.Sql;
using Npgsql;

namespace Lmvp.Server.Storage.Postgres;

/// <summary>Metadata in PostgreSQL: the same SQL stores as the embedded database, over a pool of Npgsql connections, so any
/// number of servers can share one database.</summary>
/// <remarks>Transactions run at READ COMMITTED. Every race the stores have is settled by one conditional statement (an update
/// that names the old value, an insert that does nothing on conflict), which PostgreSQL re-checks against the committed row
/// after waiting for its lock, so exactly one of several servers wins. Migrations take a transaction-scoped advisory lock.</remarks>
internal sealed class PostgresDatabase : SqlDatabase, IAsyncDisposable
{
    /// <summary>The advisory lock key schema changes hold ("lmvp" in ASCII).</summary>
    private const long SchemaLockKey = 0x6c6d7670;

    private readonly NpgsqlDataSource _dataSource;

    private PostgresDatabase(NpgsqlDataSource dataSource, string description, TimeProvider time)
        : base(time)
    {
        _dataSource = dataSource;
        Description = description;
    }

    public override string Description { get; }

    public override SqlDialect Dialect => SqlDialect.Postgres;

    /// <summary>True when <paramref name="value"/> names a PostgreSQL database (a postgres:// URL or an Npgsql connection string)
    /// rather than a directory.</summary>
    public static bool IsConnectionString(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || value.Contains('=', StringComparison.Ordinal);

    /// <summary>Connects (without migrating) to the database named by a <c>postgres://user:password@host:port/database</c> URL or an
    /// Npgsql connection string (<c>Host=...;Database=...;Username=...</c>).</summary>
    /// <exception cref="ArgumentException">The value is neither.</exception>
    public static PostgresDatabase Connect(string connection, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(connection);
        var builder = Parse(connection);
        builder.ApplicationName ??= "lmvp-server";

        // The stores run a few statements many times: prepared once per connection, they skip PostgreSQL's parse and plan.
        // Pooled connections are not reset on return (nothing here changes session state), saving a round trip per use.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        builder.NoResetOnClose = true;
        if (string.IsNullOrEmpty(builder.Database))
        {
            throw new ArgumentException("the PostgreSQL connection names no database (Database=... or postgres://host/DATABASE)");
        }

        var description = $"PostgreSQL database {builder.Database} on {builder.Host}:{builder.Port}";
        return new PostgresDatabase(new NpgsqlDataSourceBuilder(builder.ConnectionString).Build(), description, time);
    }

    /// <summary>Connects and brings the schema up to date.</summary>
    public static async Task<PostgresDatabase> OpenAsync(string connection, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var db = Connect(connection, time);
        try
        {
            await db.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return db;
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Every metadata aggregate over this database.</summary>
    public MetadataStores Stores() => SqlStores.Create(this);

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        await NonQueryAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@k)", cancellationToken, ("@k", SchemaLockKey)).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static NpgsqlConnectionStringBuilder Parse(string connection)
    {
        if (!connection.Contains("://", StringComparison.Ordinal))
        {
            return new NpgsqlConnectionStringBuilder(connection);
        }

        if (!Uri.TryCreate(connection, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.Host.Length == 0)
        {
            throw new ArgumentException("not a PostgreSQL URL: expected postgres://user:password@host:port/database");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        builder.Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            builder[key == "sslmode" ? "SSL Mode" : key] = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }

        return builder;
    }
}
