using System.Diagnostics;

namespace Lmvp.Cli.Tests.Support;

/// <summary>Runs the built <c>lmvp</c> program as a real process: <c>dotnet lmvp.dll ARGS</c>.</summary>
public static class LmvpProcess
{
    /// <summary>lmvp.dll as copied next to the test assembly by the project reference.</summary>
    public static string DllPath
    {
        get
        {
            var path = typeof(LmvpCommandLine).Assembly.Location;
            if (!File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
            {
                throw new InvalidOperationException($"{path} has no runtimeconfig next to it: it cannot be started with 'dotnet'.");
            }

            return path;
        }
    }

    public static async Task<CliResult> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
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
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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

        return new CliResult(process.ExitCode, await output, await error);
    }
}
