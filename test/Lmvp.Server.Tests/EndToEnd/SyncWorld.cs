using System.Diagnostics;
using Lmvp.Cli;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>One user's machine: a temp directory for working trees and an isolated lmvp config directory (credentials),
/// with lmvp run in-process (own writers and environment) or as a real child process.</summary>
internal sealed class ClientMachine : IDisposable
{
    private readonly TempDirectory _directory = new("e2e-client");

    public ClientMachine(string? token = null)
    {
        ConfigDirectory = Path.Combine(Root, ".config-lmvp");
        Environment = LmvpProcess.ClientEnvironment(ConfigDirectory, token);
    }

    public string Root => _directory.Path;

    public string ConfigDirectory { get; }

    /// <summary>The environment lmvp sees (LMVP_CONFIG_DIR, and LMVP_TOKEN when given).</summary>
    public Dictionary<string, string> Environment { get; }

    public string PathOf(string relative) => Path.Combine([Root, .. relative.Split('/')]);

    /// <summary>Options for calling the Store library directly, with this machine's credentials.</summary>
    public SyncOptions Options(int? requestBytes = null, IProgress<ProgressInfo>? progress = null) => new()
    {
        Credentials = CredentialStore.FromEnvironment(Environment.GetValueOrDefault),
        RequestBytes = requestBytes,
        Progress = progress,
        InitialBackoff = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Runs lmvp in-process in <paramref name="directory"/> (relative to <see cref="Root"/>).</summary>
    public async Task<ProcessResult> LmvpAsync(string directory, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, PathOf(directory), ErrorIsTerminal: false, Environment: Environment);
        var code = await LmvpCommandLine.RunAsync(args, context, CancellationToken.None);
        return new ProcessResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs lmvp in-process and requires success.</summary>
    public async Task<ProcessResult> LmvpOkAsync(string directory, params string[] args)
    {
        var run = await LmvpAsync(directory, args);
        run.ExitCode.Should().Be(0, "lmvp {0} should succeed: {1}", string.Join(" ", args), run);
        return run;
    }

    /// <summary>Starts the real lmvp binary (dotnet lmvp.dll) in <paramref name="directory"/> with this machine's environment.</summary>
    public Process StartLmvp(string directory, params string[] args) => LmvpProcess.Start(PathOf(directory), args, Environment);

    /// <summary>Runs the real lmvp binary to its end, with <paramref name="stdin"/> as its standard input.</summary>
    public Task<ProcessResult> RunProcessAsync(string directory, string? stdin, params string[] args) =>
        LmvpProcess.RunAsync(PathOf(directory), args, Environment, stdin);

    /// <summary>Writes a file under <see cref="Root"/>, creating its directories.</summary>
    public void Write(string relative, byte[] content)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
    }

    /// <summary>The content hash of every file under <paramref name="directory"/> (the .lmvp directory excluded), by relative path.</summary>
    public Dictionary<string, string> Fingerprint(string directory) => TestData.Fingerprint(PathOf(directory));

    public void Dispose() => _directory.Dispose();
}
