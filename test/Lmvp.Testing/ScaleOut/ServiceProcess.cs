using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lmvp.Testing.ScaleOut;

/// <summary>Starting the long-running service binaries (postgres, ceph-mon, ceph-osd, radosgw) the scale-out tests use.</summary>
/// <remarks>Each service runs in the foreground under a small shell watchdog that kills it with SIGKILL once the test process
/// is gone, so a crashed or killed test run leaves nothing behind.</remarks>
internal static class ServiceProcess
{
    /// <summary>The environment variable that makes missing service binaries a failure rather than a skip (CI sets it).</summary>
    public const string RequireVariable = "LMVP_REQUIRE_SERVICES";

    /// <summary>True when the environment requires the services (LMVP_REQUIRE_SERVICES=1).</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>True when the tests run as root (services that refuse root then run as another user).</summary>
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Starts <paramref name="command"/> with its arguments, output appended to <paramref name="log"/>, watched.</summary>
    public static Process StartWatched(string log, string? runAsUser, string command, params string[] args)
    {
        var quoted = string.Join(' ', new[] { command }.Concat(args).Select(Quote));
        if (runAsUser is not null)
        {
            // setpriv execs (runuser would fork and stand between the watchdog and the service).
            quoted = $"setpriv --reuid={Quote(runAsUser)} --regid={Quote(runAsUser)} --init-groups {quoted}";
        }

        var parent = Environment.ProcessId;
        var script = $"{quoted} >>{Quote(log)} 2>&1 </dev/null & child=$!; "
            + $"trap 'kill -9 $child 2>/dev/null; exit 0' TERM; "
            + $"while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done; kill -9 $child 2>/dev/null; exit 0";
        var info = new ProcessStartInfo("setsid", ["bash", "-c", script]) { UseShellExecute = false, RedirectStandardInput = true };
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
    }

    /// <summary>Runs a setup command to its end; throws with its output when it fails.</summary>
    public static string Run(string command, string? runAsUser, IDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(runAsUser is null ? command : "setpriv",
            runAsUser is null ? args : [$"--reuid={runAsUser}", $"--regid={runAsUser}", "--init-groups", command, .. args])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} did not finish in 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}{output.Result}");
        }

        return output.Result;
    }

    /// <summary>Stops a watched service: its watchdog kills it.</summary>
    public static void Stop(Process? watchdog)
    {
        if (watchdog is { HasExited: false })
        {
            try
            {
                // Closing the watchdog's stdin does nothing; TERM makes it SIGKILL its child and leave.
                Run("kill", null, null, "-TERM", watchdog.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                watchdog.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
            }
        }

        watchdog?.Dispose();
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Where <paramref name="name"/> is (on PATH, or the full path given), or null.</summary>
    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
