using Lmvp.Server.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>The storage options of lmvp-server: usage errors in one line, and <c>admin migrate</c> on each database.</summary>
[TestFixture]
public sealed class StorageCommandTests
{
    [TestCase(new[] { "--packs", "s3://bucket" }, "--data is required")]
    [TestCase(new[] { "--database", "Host=127.0.0.1;Database=x" }, "--data is required for the packs")]
    [TestCase(new[] { "--data", "/tmp/x", "--database", "not a connection" }, "--database must be a postgres:// URL")]
    [TestCase(new[] { "--data", "/tmp/x", "--packs", "/srv/packs" }, "--packs must be s3://BUCKET")]
    [TestCase(new[] { "--data", "/tmp/x", "--packs", "s3://Bad_Bucket" }, "names no valid bucket")]
    [TestCase(new[] { "--data", "/tmp/x", "--packs", "s3://bucket", "--s3-secret-key-file", "/nonexistent/secret" }, "--s3-secret-key-file: no file")]
    public async Task IncompleteOrMalformedStorage_IsAUsageError_InOneLine(string[] args, string message)
    {
        var run = await AdminRun.RunAsync([.. args, "--urls", "http://127.0.0.1:0"]);
        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().StartWith("error: ").And.Contain(message);
        run.Error.TrimEnd('\n').Should().NotContain("\n");
    }

    [Test]
    public async Task AdminMigrate_ReportsTheSchemaVersion_OnTheEmbeddedDatabaseAndOnPostgres()
    {
        using var data = new TempDirectory("migrate-cmd");
        var embedded = await AdminRun.RunAsync("admin", "migrate", "--data", data.Path);
        embedded.ExitCode.Should().Be(0, embedded.ToString());
        embedded.Out.Should().MatchRegex(@"server\.db: schema version \d+, up to date");

        var postgres = await ScaleOut.PostgresAsync();
        var run = await AdminRun.RunAsync("admin", "migrate", "--database", await postgres.CreateDatabaseAsync("cmd"));
        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Should().MatchRegex(@"PostgreSQL database cmd_\w+ on 127\.0\.0\.1:\d+: schema version \d+, up to date");

        var refused = await AdminRun.RunAsync("admin", "migrate", "--database", $"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database=no_such_db;Timeout=5");
        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().StartWith("error: ").And.Contain("no_such_db");
    }
}
