using System.Data.Common;
using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Upload sessions in a SQL database.</summary>
/// <remarks>An append is one conditional update on the bytes received (the offset the client claims), so of concurrent appends at
/// one offset exactly one wins, across processes; the part row goes in the same transaction.</remarks>
internal sealed class SqlUploadStore(SqlDatabase db) : IUploadStore
{
    private const string Columns = "upload_id, repo_id, user_id, declared_size, received, file_id, sha256, created_at, expires_at";

    public async Task<UploadRecord> CreateUploadAsync(string uploadId, long repositoryId, long userId, long? declaredSize, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"INSERT INTO uploads(upload_id, repo_id, user_id, declared_size, created_at, expires_at) VALUES(@u, @r, @usr, @s, @c, @e) RETURNING {Columns}",
            ("@u", uploadId), ("@r", repositoryId), ("@usr", userId), ("@s", declaredSize), ("@c", db.Now()), ("@e", expiresAt.ToUnixTimeMilliseconds()));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        return Read(r);
    }

    public async Task<UploadRecord?> GetUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, uploadId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UploadRecord?> AppendPartAsync(string uploadId, long start, long length, string blob, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var changed = await NonQueryAsync(c, tx,
            "UPDATE uploads SET received = @end, expires_at = @e WHERE upload_id = @u AND received = @start AND file_id IS NULL", cancellationToken,
            ("@end", start + length), ("@e", expiresAt.ToUnixTimeMilliseconds()), ("@u", uploadId), ("@start", start)).ConfigureAwait(false);
        if (changed == 0)
        {
            return null;
        }

        await NonQueryAsync(c, tx, "INSERT INTO upload_parts(upload_id, start, length, blob) VALUES(@u, @s, @l, @b)", cancellationToken,
            ("@u", uploadId), ("@s", start), ("@l", length), ("@b", blob)).ConfigureAwait(false);
        var after = await QueryAsync(c, tx, uploadId, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return after;
    }

    public async Task<IReadOnlyList<UploadPart>> ListPartsAsync(string uploadId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT start, length, blob FROM upload_parts WHERE upload_id = @u ORDER BY start", ("@u", uploadId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var parts = new List<UploadPart>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            parts.Add(new UploadPart(r.GetInt64(0), r.GetInt64(1), r.GetString(2)));
        }

        return parts;
    }

    public async Task<bool> FinishUploadAsync(string uploadId, long received, ObjectId fileId, byte[] sha256, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var changed = await NonQueryAsync(c, tx, "UPDATE uploads SET file_id = @f, sha256 = @h WHERE upload_id = @u AND received = @n AND file_id IS NULL",
            cancellationToken, ("@f", fileId.ToArray()), ("@h", sha256), ("@u", uploadId), ("@n", received)).ConfigureAwait(false);
        if (changed == 0)
        {
            return false;
        }

        await NonQueryAsync(c, tx, "DELETE FROM upload_parts WHERE upload_id = @u", cancellationToken, ("@u", uploadId)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> DeleteUploadAsync(string uploadId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "DELETE FROM upload_parts WHERE upload_id = @u", cancellationToken, ("@u", uploadId)).ConfigureAwait(false);
        var deleted = await NonQueryAsync(c, tx, "DELETE FROM uploads WHERE upload_id = @u", cancellationToken, ("@u", uploadId)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }

    public async Task<IReadOnlyList<UploadRecord>> ListExpiredUploadsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, $"SELECT {Columns} FROM uploads WHERE expires_at < @now ORDER BY expires_at LIMIT @n",
            ("@now", now.ToUnixTimeMilliseconds()), ("@n", (long)limit));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<UploadRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(r));
        }

        return list;
    }

    private static async Task<UploadRecord?> QueryAsync(DbConnection c, DbTransaction? tx, string uploadId, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, $"SELECT {Columns} FROM uploads WHERE upload_id = @u", ("@u", uploadId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
    }

    private static UploadRecord Read(DbDataReader r) =>
        new(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : new ObjectId((byte[])r[5]), r.IsDBNull(6) ? null : (byte[])r[6], FromMs(r.GetInt64(7)), FromMs(r.GetInt64(8)));
}
