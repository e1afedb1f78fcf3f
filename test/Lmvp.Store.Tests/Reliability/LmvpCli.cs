using System.Diagnostics;

namespace Lmvp.Store.Tests.Reliability;

/// <summary>What one run of the real <c>lmvp</c> program returned and printed.</summary>
public sealed record LmvpRun(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Length == 0 ? [] : Out.TrimEnd('\n').Split('\n');

    public string[] ErrorLines => Error.Length == 0 ? [] : Error.TrimEnd('\n').Split('\n');

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>Runs the built <c>lmvp</c> program as a real child process: <c>dotnet lmvp.dll ARGS</c>.</summary>
/// <remarks>The test project references src/Lmvp.Cli, so the build copies lmvp.dll and its runtimeconfig next to the tests.</remarks>
public static class LmvpCli
{
    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "lmvp.dll");
            if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
            {
                throw new InvalidOperationException($"{path} (with its runtimeconfig) is missing: build the test project, which references src/Lmvp.Cli.");
            }

            return path;
        }
    }

    /// <summary>Starts lmvp without waiting; output is drained in the background so the child never blocks on a full pipe.</summary>
    public static Process Start(string workingDirectory, params string[] args)
    {
        var process = Process.Start(StartInfo(workingDirectory, args)) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task<LmvpRun> RunAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args)) ?? throw new InvalidOperationException("dotnet did not start");
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

        return new LmvpRun(process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(string workingDirectory, string[] args)
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
        return start;
    }
}
