using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Lmvp.Testing.ScaleOut;

/// <summary>A real lmvp-server as a child process (so a test can SIGKILL it), on a free 127.0.0.1 port.</summary>
public sealed partial class ServerChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _drain;

    private ServerChild(Process process, string baseUrl, Task drain)
    {
        _process = process;
        BaseUrl = baseUrl;
        _drain = drain;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string BaseUrl { get; }

    /// <summary>The port it listens on.</summary>
    public int Port => new Uri(BaseUrl).Port;

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>lmvp-server</c> with <paramref name="storageArguments"/> and waits until it listens.</summary>
    public static async Task<ServerChild> StartAsync(IEnumerable<string> storageArguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = LmvpProcess.Start(Path.GetTempPath(), [.. storageArguments, "--urls", "http://127.0.0.1:0"], environment, program: LmvpProcess.Server,
            captureOutput: false);
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(LmvpProcess.Timeout);
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"lmvp-server exited before it listened: {await errors}");
                if (ListeningLine().Match(line) is { Success: true } m)
                {
                    var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), errors);
                    return new ServerChild(process, m.Groups[1].Value, drain);
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server with SIGKILL: no shutdown, no cleanup, as a crash or an OOM kill.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        try
        {
            // The killed tree's pipes close with it; the bound is for a grandchild that kept one open.
            await _drain.WaitAsync(LmvpProcess.Timeout);
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
