namespace Lmvp.Testing.ScaleOut;

/// <summary>The PostgreSQL and the Ceph RGW of one test run: each started on first use, once per test process, and stopped when
/// the run ends (<see cref="StopAll"/>, or by its watchdog if the process dies).</summary>
/// <remarks>A test that needs one calls <see cref="PostgresAsync"/> or <see cref="CephAsync"/>; when the binaries are missing they
/// throw <see cref="ServiceUnavailableException"/>, which the test projects turn into a skip unless
/// LMVP_REQUIRE_SERVICES=1 (CI) makes it a failure.</remarks>
public static class ScaleOutServices
{
    private static readonly Lazy<Task<PostgresService>> Postgres = new(() => Task.Run(PostgresService.Start));
    private static readonly Lazy<Task<CephService>> Ceph = new(() => Task.Run(CephService.Start));

    static ScaleOutServices()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
    }

    /// <summary>True when missing services must fail the tests (LMVP_REQUIRE_SERVICES=1).</summary>
    public static bool Required => ServiceProcess.Required;

    /// <summary>The run's PostgreSQL.</summary>
    /// <exception cref="ServiceUnavailableException">PostgreSQL is not installed and the environment does not require it.</exception>
    public static Task<PostgresService> PostgresAsync()
    {
        if (PostgresService.BinDirectory is null && !Required)
        {
            throw new ServiceUnavailableException("PostgreSQL is not installed (apt-get install postgresql); "
                + $"these tests run when it is, and {ServiceProcess.RequireVariable}=1 makes its absence a failure");
        }

        return Postgres.Value;
    }

    /// <summary>The run's Ceph RGW (S3).</summary>
    /// <exception cref="ServiceUnavailableException">Ceph is not installed and the environment does not require it.</exception>
    public static Task<CephService> CephAsync()
    {
        if (!CephService.IsInstalled && !Required)
        {
            throw new ServiceUnavailableException("Ceph RGW is not installed (apt-get install radosgw ceph-mon ceph-osd); "
                + $"these tests run when it is, and {ServiceProcess.RequireVariable}=1 makes its absence a failure");
        }

        return Ceph.Value;
    }

    /// <summary>Stops whatever was started.</summary>
    public static void StopAll()
    {
        if (Ceph.IsValueCreated && Ceph.Value.IsCompletedSuccessfully)
        {
            Ceph.Value.Result.Dispose();
        }

        if (Postgres.IsValueCreated && Postgres.Value.IsCompletedSuccessfully)
        {
            Postgres.Value.Result.Dispose();
        }
    }
}

/// <summary>A service the test needs is not installed here, and the environment does not require it.</summary>
public sealed class ServiceUnavailableException : Exception
{
    public ServiceUnavailableException(string message) : base(message) { }

    public ServiceUnavailableException() { }

    public ServiceUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
