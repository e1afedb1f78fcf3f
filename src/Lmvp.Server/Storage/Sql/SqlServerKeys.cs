using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The secrets every server of one database must share, kept in that database: the key that signs session access
/// tokens, and ASP.NET Core Data Protection's key ring (cookies and antiforgery tokens).</summary>
internal sealed class SqlServerKeys(SqlDatabase db) : IXmlRepository
{
    /// <summary>The name of the session-token signing key.</summary>
    public const string SessionTokenKey = "session-token-key";

    /// <summary>The named key, created with <paramref name="size"/> random bytes by whichever server asks first.</summary>
    public async Task<byte[]> GetOrCreateAsync(string name, int size, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Insert-if-absent, then read: of servers starting together, the first insert wins and every one reads the winner.
        await NonQueryAsync(c, null, "INSERT INTO server_keys(name, value, created_at) VALUES(@n, @v, @c) ON CONFLICT DO NOTHING", cancellationToken,
            ("@n", name), ("@v", RandomNumberGenerator.GetBytes(size)), ("@c", db.Now())).ConfigureAwait(false);
        return (byte[])(await ScalarAsync(c, null, "SELECT value FROM server_keys WHERE name = @n", cancellationToken, ("@n", name)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{db.Description} lost the key {name}"));
    }

    // Data Protection reads its key ring at start and about once a day, and writes a key every 90 days: synchronous calls are fine.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var c = db.OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        using var cmd = Command(c, null, "SELECT xml FROM web_keys ORDER BY created_at, name");
        using var r = cmd.ExecuteReader();
        var list = new List<XElement>();
        while (r.Read())
        {
            list.Add(XElement.Parse(r.GetString(0)));
        }

        return list;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var c = db.OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        NonQueryAsync(c, null, "INSERT INTO web_keys(name, xml, created_at) VALUES(@n, @x, @c) ON CONFLICT DO NOTHING", CancellationToken.None,
            ("@n", string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName), ("@x", element.ToString(SaveOptions.DisableFormatting)),
            ("@c", db.Now())).GetAwaiter().GetResult();
    }
}
