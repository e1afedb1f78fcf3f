using Lmvp.Testing.ScaleOut;

namespace Lmvp.Server.Tests.Support;

/// <summary>The run's PostgreSQL and Ceph RGW for tests that need them: a test is skipped, with the reason, only when a service
/// is not installed and LMVP_REQUIRE_SERVICES=1 is not set; in CI it always runs.</summary>
internal static class ScaleOut
{
    public static async Task<PostgresService> PostgresAsync()
    {
        try
        {
            return await ScaleOutServices.PostgresAsync();
        }
        catch (ServiceUnavailableException e)
        {
            Assert.Ignore(e.Message);
            throw;
        }
    }

    public static async Task<CephService> CephAsync()
    {
        try
        {
            return await ScaleOutServices.CephAsync();
        }
        catch (ServiceUnavailableException e)
        {
            Assert.Ignore(e.Message);
            throw;
        }
    }

    /// <summary>S3 options for a fresh prefix of the run's bucket, so no other test sees what this one writes.</summary>
    public static async Task<Lmvp.Server.Storage.S3.S3Options> BucketPrefixAsync(string what)
    {
        var ceph = await CephAsync();
        return new Lmvp.Server.Storage.S3.S3Options(ceph.Bucket, $"{what}-{Guid.NewGuid():N}", ceph.Endpoint, ceph.Region, ceph.AccessKey, ceph.SecretKey);
    }
}

/// <summary>Stops the services once every test of this assembly has run.</summary>
[SetUpFixture]
public sealed class ServicesLifetime
{
    [OneTimeTearDown]
    public void StopServices() => ScaleOutServices.StopAll();
}
