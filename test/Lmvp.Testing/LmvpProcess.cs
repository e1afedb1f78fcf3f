using System.Diagnostics;
using System.Runtime.CompilerServices;
using Lmvp.Store.Sync;

namespace Lmvp.Testing;

/// <summary>Runs the built programs as real child processes: <c>dotnet lmvp.dll ARGS</c>, or <c>lmvp-server.dll</c>.</summary>
/// <remarks>
/// The test projects reference src/Lmvp.Cli (and src/Lmvp.Server where they need it), so the build copies each program
/// with its runtimeconfig next to the test assembly. A child never inherits LMVP_TOKEN or LMVP_TRACE from the test
/// run; it gets only the <c>environment</c> it is given on top of the rest. Every wait is bounded by
/// <see cref="Timeout"/>.
/// </remarks>
public static class LmvpProcess
{
    /// <summary>The CLI's assembly name.</summary>
    public const string Lmvp = "lmvp";

    /// <summary>The server's assembly name.</summary>
    public const string Server = "lmvp-server";

    /// <summary>How long one run may take before it is killed: generous, since a busy two-core machine runs the test
    /// projects side by side.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private const string TraceVariable = "LMVP_TRACE";

    private const string NativeVariable = "LMVP_TEST_NATIVE_LMVP";

    private const string NativeServerVariable = "LMVP_TEST_NATIVE_SERVER";

    private static readonly Dictionary<string, string> EmptyEnvironment = [];

    /// <summary>Output that <see cref="Start"/> reads from the moment the child starts, for <see cref="WaitAsync"/>.</summary>
    private static readonly ConditionalWeakTable<Process, Output> Captured = new();

    /// <summary>The program's dll next to the test assembly; fails clearly when the build did not put it there.</summary>
    public static string DllPath(string program = Lmvp)
    {
        var path = Path.Combine(AppContext.BaseDirectory, program + ".dll");
        if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"{path} (with its runtimeconfig) is missing: the test project must reference the project that builds {program}.");
        }

        return path;
    }

    /// <summary>The environment of a client with its own config directory (credentials) and, when given, LMVP_TOKEN.</summary>
    public static Dictionary<string, string> ClientEnvironment(string configDirectory, string? token = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { [CredentialStore.ConfigDirectoryVariable] = configDirectory };
        if (token is not null)
        {
            environment[CredentialStore.TokenVariable] = token;
        }

        return environment;
    }

    /// <summary>Runs lmvp in <paramref name="workingDirectory"/> to its end.</summary>
    public static Task<ProcessResult> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, args, environment: null);

    /// <summary>Runs a program to its end, with <paramref name="stdin"/> as its standard input when given.</summary>
    public static async Task<ProcessResult> RunAsync(string workingDirectory, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, string program = Lmvp)
    {
        using var process = Start(workingDirectory, args, environment, stdin, program);
        return await WaitAsync(process);
    }

    /// <summary>Starts a program without waiting for it. Its standard input gets <paramref name="stdin"/> (if any) and is
    /// closed. Its output is read in the background from the start, so it never blocks on a full pipe, and
    /// <see cref="WaitAsync"/> returns it; with <paramref name="captureOutput"/> false, StandardOutput and StandardError
    /// are left for the caller to read.</summary>
    public static Process Start(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? stdin = null, string program = Lmvp, bool captureOutput = true)
    {
        var native = program switch
        {
            Lmvp => NativeLmvp(),
            Server => NativeProgram(NativeServerVariable),
            _ => null,
        };
        var start = new ProcessStartInfo(native ?? DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (native is null)
        {
            start.ArgumentList.Add(DllPath(program));
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(CredentialStore.TokenVariable);
        start.Environment.Remove(TraceVariable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? EmptyEnvironment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        if (captureOutput)
        {
            Captured.Add(process, Output.Read(process));
        }

        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return process;
    }

    /// <summary>Waits for a process from <see cref="Start"/> to exit and returns what it printed. After
    /// <see cref="Timeout"/> it kills the process tree and throws with the output so far.</summary>
    public static async Task<ProcessResult> WaitAsync(Process process)
    {
        var output = Captured.TryGetValue(process, out var captured) ? captured : Output.Read(process);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var partial = await output.SoFarAsync(process.ExitCode);
            throw new TimeoutException($"'{Describe(process)}' did not exit within {Timeout.TotalSeconds:F0} s and was killed; what it printed:\n{partial}");
        }

        return await output.SoFarAsync(process.ExitCode);
    }

    private static string Describe(Process process) =>
        string.Join(' ', process.StartInfo.ArgumentList.Select((a, i) => i == 0 ? Path.GetFileName(a) : a));

    /// <summary>Writes an executable <c>lmvp</c> script into <paramref name="directory"/> that runs the built CLI, so a shell that
    /// finds lmvp on PATH (completion scripts) runs the real binary; returns the directory.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static string WriteShim(string directory)
    {
        var path = Path.Combine(directory, Lmvp);
        File.WriteAllText(path, NativeLmvp() is { } native ? $"#!/bin/sh\nexec '{native}' \"$@\"\n" : $"#!/bin/sh\nexec '{DotnetHost()}' '{DllPath()}' \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    /// <summary>Runs any program (a shell, git, python) to its end with <paramref name="stdin"/> as its input, bounded by <see cref="Timeout"/>.</summary>
    public static async Task<ProcessResult> RunProgramAsync(string program, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? EmptyEnvironment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin ?? "");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran longer than {Timeout}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>With <c>LMVP_TEST_NATIVE_LMVP=PATH</c> (a native, ahead-of-time compiled lmvp: <c>dotnet publish src/Lmvp.Cli -r linux-x64
    /// -p:PublishAot=true</c>), every child lmvp is that binary instead of <c>dotnet lmvp.dll</c>; the in-process tests are unchanged.</summary>
    public static string? NativeLmvp() => NativeProgram(NativeVariable);

    /// <summary>The native executable that <paramref name="variable"/> names (<c>LMVP_TEST_NATIVE_SERVER</c>: every child lmvp-server),
    /// or null when it is unset.</summary>
    private static string? NativeProgram(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } path)
        {
            return null;
        }

        return File.Exists(path) ? Path.GetFullPath(path) : throw new InvalidOperationException($"{variable}={path}: no such file.");
    }

    /// <summary>The dotnet host that runs the tests (the SDK sets DOTNET_HOST_PATH for its children), else dotnet on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Both output streams, each read to its end in the background.</summary>
    private sealed record Output(Task<string> Out, Task<string> Error)
    {
        /// <summary>A killed child's pipes close with it; this bounds the wait in case a grandchild kept one open.</summary>
        private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

        public static Output Read(Process process) => new(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());

        public async Task<ProcessResult> SoFarAsync(int exitCode)
        {
            await Task.WhenAny(Task.WhenAll(Out, Error), Task.Delay(DrainGrace));
            return new ProcessResult(exitCode, Text(Out), Text(Error));
        }

        private static string Text(Task<string> read) => read.IsCompletedSuccessfully ? read.Result : "(not read to the end)";
    }
}
