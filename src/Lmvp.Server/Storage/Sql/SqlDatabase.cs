using System.Data;
using System.Data.Common;
using System.Globalization;

namespace Lmvp.Server.Storage.Sql;

/// <summary>A relational database the metadata stores run on: connections, commands, migrations, and the few places where
/// SQLite and PostgreSQL differ.</summary>
/// <remarks>
/// The stores write SQL both engines accept: <c>@name</c> parameters, <c>ON CONFLICT … DO NOTHING/UPDATE</c>, <c>RETURNING</c>,
/// conditional updates for compare-and-swap (so a race between processes has exactly one winner), times as Unix
/// milliseconds, flags as 0/1 integers, ids as byte strings. Each call opens a pooled connection; every multi-row change
/// runs in one transaction.
/// </remarks>
internal abstract class SqlDatabase
{
    /// <summary>Ids asked about in one query (an IN list of parameters).</summary>
    public const int IdBatch = 500;

    protected SqlDatabase(TimeProvider time)
    {
        Time = time;
    }

    /// <summary>The clock stores stamp rows with.</summary>
    public TimeProvider Time { get; }

    /// <summary>Where the database is, for messages (never a password).</summary>
    public abstract string Description { get; }

    /// <summary>The engine, for the few statements that differ (<see cref="SqlSchema"/> says how a migration is written once).</summary>
    public abstract SqlDialect Dialect { get; }

    /// <summary>The schema version this code reads and writes.</summary>
    public int LatestVersion => SqlSchema.Migrations.Count;

    /// <summary>Opens a connection.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Now, in Unix milliseconds.</summary>
    public long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Applies every migration the database lacks, each in its own transaction; returns the versions before and after.</summary>
    /// <remarks>Each step holds the schema lock (<see cref="LockSchemaAsync"/>), so servers starting together on one database
    /// migrate it once.</remarks>
    /// <exception cref="InvalidOperationException">The database is newer than this server.</exception>
    public async Task<(int From, int To)> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        int? from = null;
        while (true)
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var v = await LockedVersionAsync(c, tx, cancellationToken).ConfigureAwait(false);
            from ??= v;
            if (v > LatestVersion)
            {
                throw new InvalidOperationException($"{Description} has schema version {v}; this lmvp-server reads version {LatestVersion} or older.");
            }

            if (v == LatestVersion)
            {
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return (from.Value, v);
            }

            foreach (var statement in SqlSchema.Migrations[v].For(Dialect).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await NonQueryAsync(c, tx, statement, cancellationToken).ConfigureAwait(false);
            }

            await NonQueryAsync(c, tx, "INSERT INTO meta(key, value) VALUES('schema_version', @v) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                cancellationToken, ("@v", (v + 1).ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The schema version the database is at (0 when new).</summary>
    public async Task<int> VersionAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var version = await LockedVersionAsync(c, tx, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>Serializes schema changes between processes for the rest of <paramref name="transaction"/> (SQLite's write
    /// transactions are serialized already).</summary>
    protected virtual Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<int> LockedVersionAsync(DbConnection c, DbTransaction tx, CancellationToken cancellationToken)
    {
        await LockSchemaAsync(c, tx, cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)", cancellationToken).ConfigureAwait(false);
        return await VersionAsync(c, tx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A command with <c>@name</c> parameters.</summary>
    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            Add(cmd, name, value);
        }

        return cmd;
    }

    /// <summary>A NULL of type text (a plain null parameter is a NULL integer).</summary>
    public static readonly object NullText = new();

    /// <summary>A NULL of type byte string.</summary>
    public static readonly object NullBytes = new();

    /// <summary>Adds a parameter; null becomes an integer NULL, <see cref="NullText"/> a text NULL, <see cref="NullBytes"/> a byte-string NULL.</summary>
    public static DbParameter Add(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        if (value is null || ReferenceEquals(value, NullText) || ReferenceEquals(value, NullBytes))
        {
            // Typed, so PostgreSQL can resolve coalesce(@p, column) and @p IS NULL.
            p.DbType = value is null ? DbType.Int64 : ReferenceEquals(value, NullText) ? DbType.String : DbType.Binary;
            p.Value = DBNull.Value;
        }
        else
        {
            p.Value = value;
        }

        command.Parameters.Add(p);
        return p;
    }

    public static async Task<int> NonQueryAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, transaction, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, transaction, sql, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>"@p0, @p1, …" for an IN list of <paramref name="count"/> parameters.</summary>
    public static string InList(int count) => string.Join(", ", Enumerable.Range(0, count).Select(i => "@p" + i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Runs <paramref name="query"/> (whose IN list is <see cref="InList"/>) over <paramref name="ids"/> in batches and returns the
    /// ids it finds no row for (column 0), each once, in the order asked.</summary>
    public static async Task<IReadOnlyList<Lmvp.Store.ObjectId>> FindMissingAsync(DbConnection connection, DbTransaction? transaction,
        Func<int, string> query, IReadOnlyList<Lmvp.Store.ObjectId> ids, (string Name, object? Value)[] fixedParameters, CancellationToken cancellationToken)
    {
        // Compared a batch at a time, so only one batch's rows are held, and only missing ids are remembered (each reported once):
        // a set of every id found was 1.2 MB of large-object garbage per check of a 2 GiB file's chunks (BENCHMARKS.md, issue 10).
        var found = new HashSet<Lmvp.Store.ObjectId>(Math.Min(IdBatch, ids.Count));
        HashSet<Lmvp.Store.ObjectId>? reported = null;
        var missing = new List<Lmvp.Store.ObjectId>();
        for (var start = 0; start < ids.Count; start += IdBatch)
        {
            var count = Math.Min(IdBatch, ids.Count - start);
            found.Clear();
            await using (var cmd = Command(connection, transaction, query(count), fixedParameters))
            {
                for (var i = 0; i < count; i++)
                {
                    Add(cmd, "@p" + i.ToString(CultureInfo.InvariantCulture), ids[start + i].ToArray());
                }

                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    found.Add(new Lmvp.Store.ObjectId((byte[])r[0]));
                }
            }

            for (var i = start; i < start + count; i++)
            {
                if (!found.Contains(ids[i]) && (reported ??= []).Add(ids[i]))
                {
                    missing.Add(ids[i]);
                }
            }
        }

        return missing;
    }

    /// <summary>Runs the statement <paramref name="statement"/> (whose IN list is <see cref="InList"/>) over <paramref name="ids"/> in
    /// batches; returns the rows it changed in all.</summary>
    public static async Task<int> NonQueryBatchedAsync(DbConnection connection, DbTransaction? transaction, Func<int, string> statement,
        IReadOnlyList<Lmvp.Store.ObjectId> ids, (string Name, object? Value)[] fixedParameters, CancellationToken cancellationToken)
    {
        var changed = 0;
        for (var start = 0; start < ids.Count; start += IdBatch)
        {
            var count = Math.Min(IdBatch, ids.Count - start);
            await using var cmd = Command(connection, transaction, statement(count), fixedParameters);
            for (var i = 0; i < count; i++)
            {
                Add(cmd, "@p" + i.ToString(CultureInfo.InvariantCulture), ids[start + i].ToArray());
            }

            changed += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));

    public static long? Ms(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    private static async Task<int> VersionAsync(DbConnection c, DbTransaction? tx, CancellationToken cancellationToken) =>
        await ScalarAsync(c, tx, "SELECT value FROM meta WHERE key = 'schema_version'", cancellationToken).ConfigureAwait(false) is string v
            ? int.Parse(v, CultureInfo.InvariantCulture)
            : 0;
}
