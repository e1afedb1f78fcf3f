using Lmvp.Server.Storage.Postgres;
using Lmvp.Server.Storage.S3;

namespace Lmvp.Server.Hosting;

/// <summary>Where a server keeps what it keeps: metadata in the data directory's SQLite file or in PostgreSQL, packs in the
/// data directory or in an S3 bucket. With PostgreSQL and S3 nothing durable is local, and several servers share them.</summary>
/// <param name="DataDirectory">The data directory; needed unless both metadata and packs are elsewhere.</param>
/// <param name="Database">A PostgreSQL URL or connection string, or null for the data directory's SQLite file.</param>
/// <param name="Packs">The bucket for packs, or null for the data directory.</param>
internal sealed record StorageSettings(string? DataDirectory, string? Database, S3Options? Packs)
{
    /// <summary>True when the metadata is in a database other servers may share (then so are the keys and sessions).</summary>
    public bool IsShared => Database is not null;

    /// <summary>A one-line reason the settings are incomplete, or null.</summary>
    public string? Validate()
    {
        if (DataDirectory is null && (Database is null || Packs is null))
        {
            return Database is null
                ? "--data is required unless the metadata is in PostgreSQL (--database) and the packs in a bucket (--packs s3://...)"
                : "--data is required for the packs unless they go to a bucket (--packs s3://BUCKET)";
        }

        if (Database is not null && !PostgresDatabase.IsConnectionString(Database))
        {
            return $"--database must be a postgres:// URL or a connection string (Host=...;Database=...), not '{Database}'";
        }

        return null;
    }

    /// <summary>Where the data is, for messages (never a password or a key).</summary>
    public string Describe()
    {
        var metadata = Database is null ? $"metadata in {Path.GetFullPath(DataDirectory!)}" : "metadata in PostgreSQL";
        var packs = Packs is null ? $"packs in {Path.GetFullPath(DataDirectory!)}" : $"packs in {Packs}";
        return Database is null && Packs is null ? $"data in {Path.GetFullPath(DataDirectory!)}" : $"{metadata}, {packs}";
    }
}
