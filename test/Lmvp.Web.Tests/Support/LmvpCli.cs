using Lmvp.Testing;

namespace Lmvp.Web.Tests.Support;

/// <summary>The real <c>lmvp</c> program as the browser tests' data is made with: a private config directory inside each
/// working tree, and a token only where one is given.</summary>
internal static class LmvpCli
{
    /// <summary>Runs lmvp in <paramref name="directory"/> with <paramref name="token"/> as LMVP_TOKEN and a private config directory; it must succeed.</summary>
    public static async Task<ProcessResult> RunOkAsync(string directory, string? token, params string[] args)
    {
        var environment = LmvpProcess.ClientEnvironment(Path.Combine(directory, ".lmvp-test-config"), token);
        var run = await LmvpProcess.RunAsync(directory, args, environment);
        run.ExitCode.Should().Be(0, "lmvp {0} should succeed: {1}", string.Join(' ', args), run);
        return run;
    }
}
