using System.CommandLine;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage.S3;

namespace Lmvp.Server.Commands;

/// <summary>The options that say where a server's data is, on the root command and every admin command.</summary>
internal sealed class StorageOptions
{
    /// <summary>The variable that gives --database when the option is absent.</summary>
    public const string DatabaseVariable = "LMVP_DATABASE";

    /// <summary>The variable that gives --packs when the option is absent.</summary>
    public const string PacksVariable = "LMVP_PACKS";

    public Option<string?> Data { get; } = new("--data", "-d")
    {
        Description = "The data directory (created on first start): SQLite metadata and pack files, unless --database and --packs put them elsewhere.",
        Recursive = true,
    };

    public Option<string?> Database { get; } = new("--database")
    {
        Description = $"Metadata in PostgreSQL: postgres://USER:PASSWORD@HOST:PORT/DB or Host=...;Database=...;Username=... (or ${DatabaseVariable}).",
        Recursive = true,
    };

    public Option<string?> Packs { get; } = new("--packs")
    {
        Description = $"Packs in an S3-compatible bucket: s3://BUCKET[/PREFIX] (or ${PacksVariable}); default: the data directory.",
        Recursive = true,
    };

    public Option<string?> S3Endpoint { get; } = new("--s3-endpoint")
    {
        Description = "The S3 service URL, e.g. http://127.0.0.1:7480 (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS).",
        Recursive = true,
    };

    public Option<string?> S3Region { get; } = new("--s3-region")
    {
        Description = "The region to sign requests for (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1).",
        Recursive = true,
    };

    public Option<string?> S3AccessKey { get; } = new("--s3-access-key")
    {
        Description = "The access key id (default: $AWS_ACCESS_KEY_ID).",
        Recursive = true,
    };

    public Option<string?> S3SecretKeyFile { get; } = new("--s3-secret-key-file")
    {
        Description = "A file holding the secret key (default: $AWS_SECRET_ACCESS_KEY); never on the command line.",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Data, Database, Packs, S3Endpoint, S3Region, S3AccessKey, S3SecretKeyFile];

    /// <summary>The storage the command line names (options first, then the environment), validated.</summary>
    /// <exception cref="UsageException">The combination is incomplete or malformed.</exception>
    public StorageSettings Read(ParseResult parseResult)
    {
        var settings = ReadUnchecked(parseResult);
        return settings.Validate() is { } problem ? throw new UsageException(problem) : settings;
    }

    /// <summary>The storage the command line names, not validated (for commands that need only part of it).</summary>
    public StorageSettings ReadUnchecked(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var database = parseResult.GetValue(Database) ?? NonEmpty(Environment.GetEnvironmentVariable(DatabaseVariable));
        var packs = parseResult.GetValue(Packs) ?? NonEmpty(Environment.GetEnvironmentVariable(PacksVariable));
        S3Options? bucket = null;
        if (packs is not null)
        {
            string? secret = null;
            if (parseResult.GetValue(S3SecretKeyFile) is { } file)
            {
                secret = File.Exists(file) ? File.ReadAllText(file).Trim() : throw new UsageException($"--s3-secret-key-file: no file {file}");
            }

            try
            {
                bucket = S3Options.TryParse(packs, parseResult.GetValue(S3Endpoint), parseResult.GetValue(S3Region), parseResult.GetValue(S3AccessKey), secret)
                    ?? throw new UsageException($"--packs must be s3://BUCKET[/PREFIX] (packs go to the data directory without it), not '{packs}'");
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
        }

        return new StorageSettings(parseResult.GetValue(Data), database, bucket);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>The command line was wrong.</summary>
internal sealed class UsageException(string message) : Exception(message);
