using System.Diagnostics;

namespace Lmvp.Web.Tests.Support;

/// <summary>The outcome of one <c>lmvp</c> run.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs the real <c>lmvp</c> program (<c>dotnet lmvp.dll</c>, built next to the tests) as a separate process.</summary>
internal static class LmvpCli
{
    private static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "lmvp.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: the test project references Lmvp.Cli to build it.");
        }
    }

    /// <summary>Runs lmvp in <paramref name="directory"/> with <paramref name="token"/> as LMVP_TOKEN and a private config directory; it must succeed.</summary>
    public static async Task<CliRun> RunOkAsync(string directory, string? token, params string[] args)
    {
        var run = await RunAsync(directory, token, args);
        run.ExitCode.Should().Be(0, "lmvp {0} should succeed: {1}", string.Join(' ', args), run);
        return run;
    }

    public static async Task<CliRun> RunAsync(string directory, string? token, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("LMVP_TRACE");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["LMVP_CONFIG_DIR"] = Path.Combine(directory, ".lmvp-test-config");
        if (token is null)
        {
            start.Environment.Remove("LMVP_TOKEN");
        }
        else
        {
            start.Environment["LMVP_TOKEN"] = token;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliRun(process.ExitCode, await output, await error);
    }
}
