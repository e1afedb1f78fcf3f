namespace Lmvp.Server.Hosting;

/// <summary>How to run a server.</summary>
internal sealed class ServerOptions
{
    /// <summary>The address served when none is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The data directory (created if missing); null when metadata and packs are both elsewhere (a private temp
    /// directory then holds upload spools).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>A PostgreSQL URL or connection string for the metadata, or null for the data directory's SQLite file.</summary>
    public string? Database { get; init; }

    /// <summary>The bucket for packs, or null for the data directory.</summary>
    public Storage.S3.S3Options? Packs { get; init; }

    /// <summary>Where this server keeps its data.</summary>
    public StorageSettings Storage => new(DataDirectory, Database, Packs);

    /// <summary>Addresses to listen on; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>Where the first-start message goes (the one-time admin password and token).</summary>
    public TextWriter Out { get; init; } = Console.Out;

    /// <summary>The least severe log messages written to the console.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>True when every request must be signed in; by default public repositories are readable without an account.</summary>
    public bool RequireSignIn { get; init; }

    /// <summary>Wraps the blob store once it is open (tests inject faults with it).</summary>
    public Func<Storage.IBlobStore, Storage.IBlobStore>? DecorateBlobs { get; init; }
}
