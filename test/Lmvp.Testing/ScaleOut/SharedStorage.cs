using Lmvp.Server.Storage.S3;

namespace Lmvp.Testing.ScaleOut;

/// <summary>What several servers share: one PostgreSQL database and one bucket prefix, fresh for each test that asks.</summary>
/// <param name="Database">The Npgsql connection string.</param>
/// <param name="Packs">The bucket and key prefix, with the gateway's address and keys.</param>
internal sealed record SharedStorage(string Database, S3Options Packs)
{
    /// <summary>A new database on the run's PostgreSQL and a new prefix in the run's bucket.</summary>
    public static async Task<SharedStorage> CreateAsync(PostgresService postgres, CephService ceph, string what)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(ceph);
        return new SharedStorage(await postgres.CreateDatabaseAsync(what),
            new S3Options(ceph.Bucket, $"{what}-{Guid.NewGuid():N}", ceph.Endpoint, ceph.Region, ceph.AccessKey, ceph.SecretKey));
    }

    /// <summary>The lmvp-server options that name this storage (credentials go in <see cref="Environment"/>).</summary>
    public string[] Arguments => ["--database", Database, "--packs", $"s3://{Packs.Bucket}/{Packs.Prefix}", "--s3-endpoint", Packs.Endpoint!, "--s3-region", Packs.Region!];

    /// <summary>The options for an lmvp-server run in the test process, keys included (the secret through a file, as a user would).</summary>
    public string[] InProcessArguments(string secretFile)
    {
        File.WriteAllText(secretFile, Packs.SecretKey);
        return [.. Arguments, "--s3-access-key", Packs.AccessKey!, "--s3-secret-key-file", secretFile];
    }

    /// <summary>The standard variables that give a child lmvp-server the bucket's keys.</summary>
    public Dictionary<string, string> Environment => new(StringComparer.Ordinal)
    {
        ["AWS_ACCESS_KEY_ID"] = Packs.AccessKey!,
        ["AWS_SECRET_ACCESS_KEY"] = Packs.SecretKey!,
    };
}
