using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Branch protection: one row per repository that has set it, its patterns one per line.</summary>
internal sealed partial class SqlRepositoryStore
{
    public async Task<IReadOnlyList<string>?> GetProtectedBranchesAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT patterns FROM branch_protection WHERE repo_id = @r", cancellationToken, ("@r", repositoryId))
            .ConfigureAwait(false) is string patterns
            ? patterns.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            : null;
    }

    public async Task SetProtectedBranchesAsync(long repositoryId, IReadOnlyList<string>? patterns, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (patterns is null)
        {
            await NonQueryAsync(c, null, "DELETE FROM branch_protection WHERE repo_id = @r", cancellationToken, ("@r", repositoryId)).ConfigureAwait(false);
            return;
        }

        await NonQueryAsync(c, null,
            "INSERT INTO branch_protection(repo_id, patterns, updated_at) VALUES(@r, @p, @now) "
            + "ON CONFLICT(repo_id) DO UPDATE SET patterns = excluded.patterns, updated_at = excluded.updated_at", cancellationToken,
            ("@r", repositoryId), ("@p", string.Join('\n', patterns)), ("@now", db.Now())).ConfigureAwait(false);
    }
}
