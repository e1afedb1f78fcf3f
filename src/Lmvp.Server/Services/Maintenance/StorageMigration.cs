using System.Data.Common;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Postgres;
using Lmvp.Server.Storage.S3;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Storage.Sqlite;
using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Services.Maintenance;

/// <summary>What <c>admin migrate-storage</c> copied.</summary>
internal sealed record MigrationReport(int Repositories, long Rows, int PacksCopied, int PacksSkipped, int Chunks, long PackBytes)
{
    public override string ToString() =>
        $"migrated {Repositories} repositories: {Rows} rows, {PacksCopied} packs copied and verified ({Chunks} chunks, {PackBytes} bytes), "
        + $"{PacksSkipped} already there";
}

/// <summary>Copies an embedded server's data directory (SQLite + pack files) into PostgreSQL and an S3 bucket, keeping every id.</summary>
/// <remarks>
/// Rows are copied table by table with their ids (so tokens, sessions and cookies stay valid) by inserts that do nothing on
/// conflict, so a run that stopped part-way is resumed by running it again. Every chunk of a pack is verified in the source
/// before the pack is copied, and again read back from the bucket before its index rows are written; refs are written last,
/// so the target never has a ref to a commit whose chunks are not all there. The source must not be served meanwhile: its
/// lock is held throughout.
/// </remarks>
internal static class StorageMigration
{
    /// <summary>Rows copied per transaction.</summary>
    private const int RowBatch = 1000;

    /// <summary>The tables copied before the packs, in foreign-key order, with the id column whose sequence follows them.</summary>
    private static readonly (string Table, string Columns, string? Identity)[] Tables =
    [
        ("users", "user_id, name, password_hash, is_admin, is_disabled, created_at", "user_id"),
        ("tokens", "token_id, user_id, name, hash, scope, created_at, expires_at, revoked_at, last_used_at", "token_id"),
        ("sessions", "session_id, user_id, created_at, expires_at, revoked_at", null),
        ("refresh_tokens", "hash, session_id, expires_at, used_at", null),
        ("repositories", "repo_id, owner_id, name, is_private, description, default_branch, created_at, updated_at", "repo_id"),
        ("members", "repo_id, user_id, role", null),
        ("invitations", "invitation_id, hash, created_by, repo_id, role, make_admin, created_at, expires_at, used_at, used_by", "invitation_id"),
        ("objects", "repo_id, id, kind, data", null),
    ];

    public static async Task<MigrationReport> RunAsync(string sourceDirectory, StorageSettings target, Action<string> log, CancellationToken cancellationToken)
    {
        var paths = new ServerPaths(sourceDirectory);
        using var sourceLock = ServerApp.AcquireLock(paths);
        var source = await SqliteDatabase.OpenAsync(paths.DataDirectory, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        await using var destination = await PostgresDatabase.OpenAsync(target.Database!, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        using var sourceBlobs = new Storage.FileSystem.FileSystemBlobStore(paths.DataDirectory);
        using var targetBlobs = new S3BlobStore(target.Packs!.Resolve(Environment.GetEnvironmentVariable));
        await targetBlobs.CheckAsync(cancellationToken).ConfigureAwait(false);

        long rows = 0;
        foreach (var (table, columns, identity) in Tables)
        {
            var copied = await CopyTableAsync(source, destination, table, columns, cancellationToken).ConfigureAwait(false);
            if (identity is not null)
            {
                await using var c = await destination.OpenAsync(cancellationToken).ConfigureAwait(false);
                await ScalarAsync(c, null, $"SELECT setval(pg_get_serial_sequence('{table}', '{identity}'), greatest(1, (SELECT coalesce(max({identity}), 0) FROM {table})))",
                    cancellationToken).ConfigureAwait(false);
            }

            log($"{table}: {copied} rows");
            rows += copied;
        }

        await CopyKeysAsync(paths, destination, log, cancellationToken).ConfigureAwait(false);

        var sourceIndex = SqlStores.Create(source).Chunks;
        var targetIndex = SqlStores.Create(destination).Chunks;
        var repositories = (await SqlStores.Create(source).Repositories.ListVisibleRepositoriesAsync(0, true, cancellationToken).ConfigureAwait(false))
            .Select(r => r.Repository).ToList();
        int copiedPacks = 0, skipped = 0, chunks = 0;
        long bytes = 0;
        foreach (var repo in repositories)
        {
            var (_, byPack) = await ServerVerify.EntriesByPackAsync(sourceIndex, repo.Id, cancellationToken).ConfigureAwait(false);
            var done = (await targetIndex.ListPacksAsync(repo.Id, cancellationToken).ConfigureAwait(false)).ToDictionary(p => p.Name, StringComparer.Ordinal);
            foreach (var pack in await sourceIndex.ListPacksAsync(repo.Id, cancellationToken).ConfigureAwait(false))
            {
                var blob = ChunkStore.BlobName(repo.Id, pack.Name);
                var entries = byPack.TryGetValue(pack.Name, out var e) ? e : [];
                if (done.TryGetValue(pack.Name, out var there) && there.Chunks == entries.Count
                    && await targetBlobs.GetLengthAsync(blob, cancellationToken).ConfigureAwait(false) == pack.Size)
                {
                    skipped++;
                    continue;
                }

                await VerifyAsync(sourceBlobs, blob, pack.Name, entries, $"{repo.FullName} in {paths.DataDirectory}", cancellationToken).ConfigureAwait(false);
                var length = await sourceBlobs.GetLengthAsync(blob, cancellationToken).ConfigureAwait(false) ?? 0;
                await using (var file = new FileStream(Path.Combine(paths.DataDirectory, blob), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
                {
                    await targetBlobs.PutAsync(blob, file, cancellationToken).ConfigureAwait(false);
                }

                await VerifyAsync(targetBlobs, blob, pack.Name, entries, $"{repo.FullName} in the bucket (after copying)", cancellationToken).ConfigureAwait(false);
                await targetIndex.AddPackAsync(repo.Id, pack.Name, length, entries, cancellationToken).ConfigureAwait(false);
                copiedPacks++;
                chunks += entries.Count;
                bytes += length;
            }

            // Completeness marks (only complete commits are served) and refs once every pack is in: never a ref or a mark ahead of its chunks.
            rows += await CopyTableAsync(source, destination, "complete", "repo_id, id", cancellationToken, $"repo_id = {repo.Id}").ConfigureAwait(false);
            rows += await CopyTableAsync(source, destination, "refs", "repo_id, name, target, updated_at", cancellationToken, $"repo_id = {repo.Id}")
                .ConfigureAwait(false);
            log($"{repo.FullName}: packs copied and verified, refs set");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return new MigrationReport(repositories.Count, rows, copiedPacks, skipped, chunks, bytes);
    }

    private static async Task VerifyAsync(IBlobStore blobs, string blob, string pack, List<Lmvp.Store.Packs.PackEntry> entries, string where,
        CancellationToken cancellationToken)
    {
        var damaged = new Dictionary<ObjectId, string>();
        var report = new VerifyReport(new RepositoryRecord(0, 0, "", "", false, "", "", default, default));
        await ServerVerify.VerifyEntriesAsync(blobs, blob, pack, entries, damaged, report, cancellationToken).ConfigureAwait(false);
        if (damaged.Count > 0 || report.Problems.Count > 0)
        {
            var first = damaged.Count > 0 ? $"chunk {damaged.First().Key}: {damaged.First().Value}" : report.Problems[0];
            throw new CorruptObjectException($"{damaged.Count} damaged chunks in pack {pack} of {where} ({first}); nothing of it was copied. "
                + "Run 'lmvp-server admin verify' on the source to see what uses them");
        }
    }

    private static async Task<long> CopyTableAsync(SqlDatabase source, SqlDatabase destination, string table, string columns, CancellationToken cancellationToken,
        string? where = null)
    {
        var names = columns.Split(',', StringSplitOptions.TrimEntries);
        var insert = $"INSERT INTO {table}({columns}) VALUES({string.Join(", ", names.Select((_, i) => "@c" + i))}) ON CONFLICT DO NOTHING";
        await using var from = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var read = Command(from, null, $"SELECT {columns} FROM {table}{(where is null ? "" : " WHERE " + where)}");
        await using var r = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var to = await destination.OpenAsync(cancellationToken).ConfigureAwait(false);
        long copied = 0;
        var more = true;
        while (more)
        {
            await using var tx = await to.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var write = Command(to, tx, insert);
            var parameters = names.Select((_, i) => Add(write, "@c" + i, null)).ToArray();
            var n = 0;
            while (n < RowBatch && (more = await r.ReadAsync(cancellationToken).ConfigureAwait(false)))
            {
                for (var i = 0; i < names.Length; i++)
                {
                    var value = r.GetValue(i);
                    parameters[i].ResetDbType();
                    if (value is DBNull)
                    {
                        parameters[i].DbType = r.GetFieldType(i) == typeof(string) ? System.Data.DbType.String : System.Data.DbType.Int64;
                    }

                    parameters[i].Value = value;
                }

                copied += await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                n++;
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return copied;
    }

    private static async Task CopyKeysAsync(ServerPaths paths, SqlDatabase destination, Action<string> log, CancellationToken cancellationToken)
    {
        await using var c = await destination.OpenAsync(cancellationToken).ConfigureAwait(false);
        var jwt = Path.Combine(paths.DataDirectory, Auth.SessionTokens.KeyFileName);
        if (File.Exists(jwt))
        {
            var kept = await NonQueryAsync(c, null, "INSERT INTO server_keys(name, value, created_at) VALUES(@n, @v, @c) ON CONFLICT DO NOTHING", cancellationToken,
                ("@n", SqlServerKeys.SessionTokenKey), ("@v", await File.ReadAllBytesAsync(jwt, cancellationToken).ConfigureAwait(false)), ("@c", destination.Now()))
                .ConfigureAwait(false);
            log(kept > 0 ? "session-token key copied (signed-in API sessions stay valid)" : "session-token key: the target has one already, kept");
        }

        var webKeys = Path.Combine(paths.DataDirectory, "web-keys");
        if (Directory.Exists(webKeys))
        {
            foreach (var file in Directory.EnumerateFiles(webKeys, "*.xml").Order(StringComparer.Ordinal))
            {
                await NonQueryAsync(c, null, "INSERT INTO web_keys(name, xml, created_at) VALUES(@n, @x, @c) ON CONFLICT DO NOTHING", cancellationToken,
                    ("@n", Path.GetFileNameWithoutExtension(file)), ("@x", await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)),
                    ("@c", destination.Now())).ConfigureAwait(false);
            }

            log("web key ring copied (browser sessions stay valid)");
        }
    }
}
