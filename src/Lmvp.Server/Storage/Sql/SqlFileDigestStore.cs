using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>File digests in a SQL database.</summary>
internal sealed class SqlFileDigestStore(SqlDatabase db) : IFileDigestStore
{
    public async Task<IReadOnlyDictionary<ObjectId, byte[]>> GetDigestsAsync(IReadOnlyList<ObjectId> fileIds, CancellationToken cancellationToken)
    {
        var found = new Dictionary<ObjectId, byte[]>();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < fileIds.Count; start += IdBatch)
        {
            var count = Math.Min(IdBatch, fileIds.Count - start);
            await using var cmd = Command(c, null, $"SELECT file_id, sha256 FROM file_digests WHERE file_id IN ({InList(count)})");
            for (var i = 0; i < count; i++)
            {
                Add(cmd, "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), fileIds[start + i].ToArray());
            }

            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found[new ObjectId((byte[])r[0])] = (byte[])r[1];
            }
        }

        return found;
    }

    public async Task PutDigestAsync(ObjectId fileId, byte[] sha256, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "INSERT INTO file_digests(file_id, sha256) VALUES(@f, @h) ON CONFLICT DO NOTHING", cancellationToken,
            ("@f", fileId.ToArray()), ("@h", sha256)).ConfigureAwait(false);
    }
}
