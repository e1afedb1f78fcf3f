using Lmvp.Testing;
using Lmvp.Testing.ScaleOut;

namespace Lmvp.Server.Tests.Support;

/// <summary>The storage backends a server test can run on.</summary>
internal static class Backend
{
    /// <summary>SQLite and pack files in a data directory.</summary>
    public const string Embedded = "embedded";

    /// <summary>PostgreSQL (the run's private server) and an S3 bucket (the run's Ceph RGW).</summary>
    public const string PostgresS3 = "postgres+s3";

    /// <summary>Fresh shared storage: a new database and a new bucket prefix.</summary>
    public static async Task<SharedStorage> NewSharedAsync(string what) =>
        await SharedStorage.CreateAsync(await ScaleOut.PostgresAsync(), await ScaleOut.CephAsync(), what.Replace('-', '_'));

    /// <summary>A server on fresh storage of the given backend.</summary>
    public static async Task<TestServer> StartServerAsync(string backend, string what) => backend switch
    {
        Embedded => await TestServer.StartAsync(),
        PostgresS3 => await TestServer.StartSharedAsync(await NewSharedAsync(what)),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "unknown backend"),
    };
}
