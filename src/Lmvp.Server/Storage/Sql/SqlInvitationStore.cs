using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Invitations in a SQL database.</summary>
internal sealed class SqlInvitationStore(SqlDatabase db) : IInvitationStore
{
    public async Task<InvitationRecord> CreateInvitationAsync(long createdBy, byte[] codeHash, long? repositoryId, AccessLevel role, bool makeAdmin,
        DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var now = db.Now();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        var id = Convert.ToInt64(await ScalarAsync(c, null,
            "INSERT INTO invitations(hash, created_by, repo_id, role, make_admin, created_at, expires_at) VALUES(@h, @b, @r, @role, @a, @c, @e) "
            + "RETURNING invitation_id", cancellationToken,
            ("@h", codeHash), ("@b", createdBy), ("@r", repositoryId), ("@role", (long)role), ("@a", makeAdmin ? 1L : 0L), ("@c", now),
            ("@e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return new InvitationRecord(id, createdBy, repositoryId, role, makeAdmin, FromMs(now), FromMs(expiresAt.ToUnixTimeMilliseconds()), null, null);
    }

    public async Task<IReadOnlyList<InvitationRecord>> ListInvitationsAsync(long? createdBy, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT {SqlStores.InvitationColumns} FROM invitations WHERE @b IS NULL OR created_by = @b ORDER BY invitation_id", ("@b", createdBy));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<InvitationRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(SqlStores.ReadInvitation(r));
        }

        return list;
    }

    public async Task<InvitationRecord?> GetInvitationAsync(long invitationId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, $"SELECT {SqlStores.InvitationColumns} FROM invitations WHERE invitation_id = @i", ("@i", invitationId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqlStores.ReadInvitation(r) : null;
    }

    public async Task<bool> DeleteInvitationAsync(long invitationId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "DELETE FROM invitations WHERE invitation_id = @i", cancellationToken, ("@i", invitationId)).ConfigureAwait(false) > 0;
    }

    public async Task<(RedeemOutcome Outcome, UserRecord? User)> RedeemInvitationAsync(byte[] codeHash, string userName, string passwordHash,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        InvitationRecord invitation;
        await using (var cmd = Command(c, tx, $"SELECT {SqlStores.InvitationColumns} FROM invitations WHERE hash = @h", ("@h", codeHash)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return (RedeemOutcome.InvalidCode, null);
            }

            invitation = SqlStores.ReadInvitation(r);
        }

        if (invitation.UsedAt is not null || invitation.ExpiresAt <= now)
        {
            return (RedeemOutcome.InvalidCode, null);
        }

        var user = await SqlStores.InsertUserAsync(db, c, tx, userName, passwordHash, invitation.MakeAdmin, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return (RedeemOutcome.NameTaken, null);
        }

        // Conditional, so of two redeemers of one code exactly one wins, in any engine; the loser's user is rolled back.
        if (await NonQueryAsync(c, tx, "UPDATE invitations SET used_at = @now, used_by = @u WHERE invitation_id = @i AND used_at IS NULL", cancellationToken,
            ("@now", now.ToUnixTimeMilliseconds()), ("@u", user.Id), ("@i", invitation.Id)).ConfigureAwait(false) == 0)
        {
            return (RedeemOutcome.InvalidCode, null);
        }

        if (invitation.RepositoryId is { } repoId && invitation.Role != AccessLevel.None)
        {
            await NonQueryAsync(c, tx, "INSERT INTO members(repo_id, user_id, role) VALUES(@r, @u, @role) ON CONFLICT(repo_id, user_id) DO UPDATE SET role = excluded.role",
                cancellationToken, ("@r", repoId), ("@u", user.Id), ("@role", (long)invitation.Role)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (RedeemOutcome.Created, user);
    }
}
