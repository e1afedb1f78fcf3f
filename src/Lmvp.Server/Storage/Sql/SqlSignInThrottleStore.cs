using System.Globalization;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Failed sign-in counts in a SQL database; a failure is one conditional upsert per key, so concurrent failures on several
/// servers all count.</summary>
internal sealed class SqlSignInThrottleStore(SqlDatabase db) : ISignInThrottleStore
{
    public async Task<IReadOnlyList<SignInFailures>> GetAsync(IReadOnlyList<string> keys, DateTimeOffset windowStartAfter, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT throttle_key, failures, window_start FROM signin_failures WHERE window_start > @after AND throttle_key IN ({InList(keys.Count)})",
            ("@after", windowStartAfter.ToUnixTimeMilliseconds()));
        for (var i = 0; i < keys.Count; i++)
        {
            Add(cmd, "@p" + i.ToString(CultureInfo.InvariantCulture), keys[i]);
        }

        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<SignInFailures>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new SignInFailures(r.GetString(0), (int)r.GetInt64(1), FromMs(r.GetInt64(2))));
        }

        return list;
    }

    public async Task<IReadOnlyList<SignInFailures>> RecordFailureAsync(IReadOnlyList<string> keys, DateTimeOffset now, DateTimeOffset windowStartAfter,
        CancellationToken cancellationToken)
    {
        var list = new List<SignInFailures>(keys.Count);
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var key in keys)
        {
            await using var cmd = Command(c, null,
                "INSERT INTO signin_failures(throttle_key, failures, window_start) VALUES(@k, 1, @now) ON CONFLICT(throttle_key) DO UPDATE SET "
                + "failures = CASE WHEN signin_failures.window_start <= @after THEN 1 ELSE signin_failures.failures + 1 END, "
                + "window_start = CASE WHEN signin_failures.window_start <= @after THEN @now ELSE signin_failures.window_start END "
                + "RETURNING failures, window_start",
                ("@k", key), ("@now", now.ToUnixTimeMilliseconds()), ("@after", windowStartAfter.ToUnixTimeMilliseconds()));
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new SignInFailures(key, (int)r.GetInt64(0), FromMs(r.GetInt64(1))));
            }
        }

        // Windows long over are of no use: drop them now and then, so an attacker trying many names leaves no lasting rows.
        await NonQueryAsync(c, null, "DELETE FROM signin_failures WHERE window_start <= @after", cancellationToken,
            ("@after", windowStartAfter.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        return list;
    }

    public async Task ResetAsync(string key, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "DELETE FROM signin_failures WHERE throttle_key = @k", cancellationToken, ("@k", key)).ConfigureAwait(false);
    }
}
