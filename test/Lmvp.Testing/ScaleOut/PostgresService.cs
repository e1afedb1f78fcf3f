using System.Globalization;
using Npgsql;

namespace Lmvp.Testing.ScaleOut;

/// <summary>A private PostgreSQL (Debian's binaries): initdb in a temp directory, postgres on a free 127.0.0.1 port with fsync
/// off (test data only), run as user postgres when the tests run as root; each test asks for a fresh database.</summary>
public sealed class PostgresService : IDisposable
{
    private readonly System.Diagnostics.Process _watchdog;
    private readonly string _directory;
    private int _databases;

    private PostgresService(System.Diagnostics.Process watchdog, string directory, int port)
    {
        _watchdog = watchdog;
        _directory = directory;
        Port = port;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The directory of the newest installed PostgreSQL binaries, or null when there is none.</summary>
    public static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).LastOrDefault()
            : null;

    /// <summary>A connection string for the maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>An Npgsql connection string for <paramref name="database"/>.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20";

    /// <summary>Starts a server; throws when the binaries are missing or it does not come up.</summary>
    public static PostgresService Start()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql)");
        var directory = Path.Combine(Path.GetTempPath(), $"lmvp-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var user = ServiceProcess.IsRoot ? "postgres" : null;
        if (user is not null)
        {
            ServiceProcess.Run("chown", null, null, $"{user}:{user}", directory);
        }

        var data = Path.Combine(directory, "data");
        ServiceProcess.Run(Path.Combine(bin, "initdb"), user, null, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        var port = ServiceProcess.FreePort();
        var log = Path.Combine(directory, "postgres.log");
        File.WriteAllText(log, "");
        if (user is not null)
        {
            ServiceProcess.Run("chown", null, null, $"{user}:{user}", log);
        }

        var watchdog = ServiceProcess.StartWatched(log, user, Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture),
            "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB");
        var service = new PostgresService(watchdog, directory, port);
        try
        {
            service.WaitReady(log);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}_{Guid.NewGuid().ToString("N")[..8]}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'", connection);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public void Dispose()
    {
        ServiceProcess.Stop(_watchdog);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void WaitReady(string log)
    {
        NpgsqlException? last = null;
        try
        {
            Poll.Until(Accepts, "PostgreSQL to accept connections", TimeSpan.FromSeconds(60), giveUp: () => _watchdog.HasExited);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"PostgreSQL did not start: {last?.Message ?? e.Message}; its log: {SafeRead(log)}", last ?? (Exception)e);
        }

        bool Accepts()
        {
            try
            {
                using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false;Timeout=2");
                connection.Open();
                return true;
            }
            catch (NpgsqlException e)
            {
                last = e;
                return false;
            }
        }
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "(unreadable)";
        }
    }
}
