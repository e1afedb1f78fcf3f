namespace Lmvp.Server.Hosting;

/// <summary>How to run a server.</summary>
internal sealed class ServerOptions
{
    /// <summary>The address served when none is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The data directory (created if missing).</summary>
    public required string DataDirectory { get; init; }

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
