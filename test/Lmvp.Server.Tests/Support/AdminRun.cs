using Lmvp.Testing;

namespace Lmvp.Server.Tests.Support;

/// <summary>Runs <c>lmvp-server</c> commands in the test process against a test server's storage.</summary>
internal static class AdminRun
{
    /// <summary>The storage options that name <paramref name="server"/>'s data (files for secrets go in <paramref name="scratch"/>).</summary>
    public static string[] StorageArguments(TestServer server, TempDirectory scratch) =>
        server.Storage.Database is null
            ? ["--data", server.DataDirectory]
            : [.. new Lmvp.Testing.ScaleOut.SharedStorage(server.Storage.Database, server.Storage.Packs!).InProcessArguments(scratch.Combine("s3-secret"))];

    public static async Task<ProcessResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ServerCommandLine.RunAsync(args, output, error, TextReader.Null);
        return new ProcessResult(code, output.ToString(), error.ToString());
    }
}
