using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Bench.Scenarios;

/// <summary>Push and clone of a new model over loopback against a real lmvp-server child process (issue 3); the content API and the
/// Python package (issue 8) in SyncScenarios.Api.cs.</summary>
internal static partial class SyncScenarios
{
    private const double TargetMBps = 500;
    /// <summary>The request size of the second push: the download batch size (the upload default until issue 10), for comparison.</summary>
    private const int OtherRequestBytes = SyncOptions.DefaultRequestBytes;

    /// <summary>Push a new file, clone it, fetch it alone, and push again with 64 MiB requests to show how requests scale.</summary>
    public static void PushClone(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var label = ScenarioContext.Size(size);
        var serverData = Path.Combine(context.Directory, "server");
        var work = Path.Combine(context.Directory, "train");

        // The lmvp children inherit these: the token for every request, and a config dir of the bench's own so the
        // user's saved logins are neither read nor written.
        Environment.SetEnvironmentVariable("LMVP_CONFIG_DIR", Path.Combine(context.Directory, "config"));
        var server = ServerBinary.Locate();
        server.Admin(["--data", serverData], "create-user", "bench");
        var token = server.Admin(["--data", serverData], "create-token", "bench", "--scope", "write").Trim();
        Environment.SetEnvironmentVariable("LMVP_TOKEN", token);
        server.Admin(["--data", serverData], "create-repo", "bench/model");
        server.Admin(["--data", serverData], "create-repo", "bench/model-other-requests");
        server.Admin(["--data", serverData], "create-repo", "bench/history");

        context.Log($"generating a {label} file of float32 weights");
        WeightData.WriteFile(Path.Combine(work, "weights.bin"), size, 7);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(work);
        context.Cli.Run(work, "init").EnsureSuccess("init");
        var commit = context.Cli.Run(work, "commit", "-m", "bench: new weights").EnsureSuccess("commit");
        context.Add($"lmvp commit of the new {label} file (for reference; not part of the push)", ScenarioContext.MBps(size, commit.Elapsed), "MB/s",
            note: commit.DescribeCpu());

        using var running = server.Start(serverData);
        context.Log($"lmvp-server pid {running.Pid} at {running.Url}");
        context.Note($"lmvp-server: {server.Describe()} --data DIR --urls http://127.0.0.1:0 (a child process; Kestrel over loopback)");
        context.Cli.Run(work, "remote", "add", "origin", $"{running.Url}/bench/model").EnsureSuccess("remote add");
        context.Cli.Run(work, "remote", "add", "other", $"{running.Url}/bench/model-other-requests").EnsureSuccess("remote add");

        // Push with the default request size. The file was just generated: its writeback must not land inside the push.
        ProcessStats.SyncDisks();
        var push = Measure(context, running, $"lmvp push of a new {label} file", work, "push", "--json", "origin");
        var pushTransfer = Transfer(push.Run.Output, "transfer");
        context.Add($"push new {label} file, lmvp binary (wall time incl. process start)", ScenarioContext.MBps(size, push.Run.Elapsed), "MB/s", Goal.Min(TargetMBps),
            note: $"{pushTransfer.Describe(sent: true)}; client {push.Run.DescribeCpu()}; server CPU {push.Server.CpuSeconds:0.00} s (kernel {push.Server.SystemSeconds:0.00} s)");
        context.Add($"HTTP requests of the push ({ScenarioContext.Size(SyncOptions.DefaultUploadRequestBytes)} requests, the default)", pushTransfer.Requests, "count",
            note: $"{pushTransfer.Chunks} chunks sent; {size / (double)SyncOptions.DefaultUploadRequestBytes:0.0} = file bytes / request size");
        context.Add("bytes on the wire of the push, % of the file", 100.0 * pushTransfer.WireBytes / size, "%",
            note: $"{pushTransfer.WireBytes / 1e6:0.0} MB sent, {pushTransfer.OtherWayBytes / 1e6:0.00} MB received");
        context.AddPeakMemory("peak RSS of lmvp push", push.Run.PeakRss);
        context.AddPeakMemory($"peak RSS of lmvp-server during the {label} upload", push.Server.PeakRss,
            note: $"VmHWM reset just before the push; RSS before it {push.Server.RssBefore / 1e6:0} MB");

        // The plain PUT of the same file, the push's peer.
        var put = PlainPut(context, Path.Combine(work, "weights.bin"), label);
        context.Add($"push of the new {label} file / plain PUT (speed ratio)", put / push.Run.Elapsed.TotalSeconds, "x", Goal.Min(0.5),
            note: "push MB/s over the MB/s of curl -T to the dropping sink");

        // Clone: fetch of the snapshot, then the verified checkout.
        ProcessStats.SyncDisks();
        var cloneDir = Path.Combine(context.Directory, "clone");
        var clone = Measure(context, running, $"lmvp clone of the {label} repository (fetch + verified checkout)", context.Directory, "clone", "--json", $"{running.Url}/bench/model", cloneDir);
        var cloneTransfer = Transfer(clone.Run.Output, "fetch", "transfer");
        VerifySameFile(Path.Combine(work, "weights.bin"), Path.Combine(cloneDir, "weights.bin"));
        context.Add($"clone of the {label} repository, lmvp binary (fetch + verified checkout, wall time incl. process start)", ScenarioContext.MBps(size, clone.Run.Elapsed), "MB/s",
            Goal.Min(TargetMBps), note: $"{cloneTransfer.Describe(sent: false)}; client {clone.Run.DescribeCpu()}; server CPU {clone.Server.CpuSeconds:0.00} s (kernel {clone.Server.SystemSeconds:0.00} s)");
        context.Add("HTTP requests of the clone", cloneTransfer.Requests, "count", note: $"{cloneTransfer.Chunks} chunks received");
        context.AddPeakMemory("peak RSS of lmvp clone", clone.Run.PeakRss);
        context.AddPeakMemory("peak RSS of lmvp-server during the clone", clone.Server.PeakRss);
        Directory.Delete(cloneDir, recursive: true);

        // Fetch alone into a fresh repository: the transfer without the checkout.
        ProcessStats.SyncDisks();
        var fetchDir = Path.Combine(context.Directory, "fetch");
        Directory.CreateDirectory(fetchDir);
        context.Cli.Run(fetchDir, "init").EnsureSuccess("init");
        context.Cli.Run(fetchDir, "remote", "add", "origin", $"{running.Url}/bench/model").EnsureSuccess("remote add");
        ProcessStats.SyncDisks();
        var fetch = Measure(context, running, $"lmvp fetch of the {label} repository (no checkout)", fetchDir, "fetch", "--json", "origin");
        var fetchTransfer = Transfer(fetch.Run.Output, "transfer");
        context.Add($"fetch alone of the {label} repository into a new repository, lmvp binary (no checkout)", ScenarioContext.MBps(size, fetch.Run.Elapsed), "MB/s",
            note: $"{fetchTransfer.Describe(sent: false)}; client {fetch.Run.DescribeCpu()}");
        context.AddPeakMemory("peak RSS of lmvp fetch", fetch.Run.PeakRss);
        Directory.Delete(fetchDir, recursive: true);

        // The same push with requests of 64 MiB: requests follow bytes / request size, not the number of chunks.
        using (var repository = Repository.Open(work))
        {
            repository.SetConfig(SyncOptions.RequestBytesConfigKey, OtherRequestBytes.ToString(CultureInfo.InvariantCulture));
        }

        ProcessStats.SyncDisks();
        var other = Measure(context, running, $"lmvp push of the {label} file with {ScenarioContext.Size(OtherRequestBytes)} requests", work, "push", "--json", "other");
        var otherTransfer = Transfer(other.Run.Output, "transfer");
        context.Add($"HTTP requests of the same push with {SyncOptions.RequestBytesConfigKey} = {ScenarioContext.Size(OtherRequestBytes)}", otherTransfer.Requests, "count",
            note: $"{otherTransfer.Chunks} chunks sent; {size / (double)OtherRequestBytes:0.0} = file bytes / request size");
        context.Add($"push with {ScenarioContext.Size(OtherRequestBytes)} requests (for reference)", ScenarioContext.MBps(size, other.Run.Elapsed), "MB/s",
            note: $"{otherTransfer.Describe(sent: true)}");
        context.AddPeakMemory($"peak RSS of lmvp-server during the upload with {ScenarioContext.Size(OtherRequestBytes)} requests", other.Server.PeakRss);

        HistoryClone(context, running, token);
    }

    /// <summary>Runs lmvp while sampling the server and the lmvp child (memory, CPU per thread), and records both profiles.</summary>
    private static (CliRun Run, ServerFigures Server) Measure(ScenarioContext context, RunningServer server, string operation, string directory, params string[] args) =>
        Measure(context, context.Cli, server, operation, directory, args);

    /// <summary>The same, for any program (<paramref name="runner"/>): python3, curl.</summary>
    private static (CliRun Run, ServerFigures Server) Measure(ScenarioContext context, CliRunner runner, RunningServer server, string operation, string directory,
        params string[] args)
    {
        server.ResetPeak();
        var rssBefore = server.CurrentRss();
        using var sampler = new ChildSampler(server.Pid);
        var run = runner.Run(directory, args).EnsureSuccess(operation);
        var (client, serverProfile, serverPeak) = sampler.Stop(context.Scenario, operation);
        if (client is not null)
        {
            context.Result.Profiles.Add(client);
        }

        context.Result.Profiles.Add(serverProfile);
        return (run, new ServerFigures(Math.Max(serverPeak, server.PeakRss()), rssBefore, serverProfile.ProcessCpuSeconds, serverProfile.SystemCpuSeconds));
    }

    private static void VerifySameFile(string expected, string actual)
    {
        var a = new FileInfo(expected);
        var b = new FileInfo(actual);
        if (!b.Exists || a.Length != b.Length)
        {
            throw new InvalidOperationException($"the clone's {b.Name} is missing or has the wrong length");
        }

        using var x = File.OpenRead(expected);
        using var y = File.OpenRead(actual);
        var bx = new byte[8 << 20];
        var by = new byte[8 << 20];
        int n;
        while ((n = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false)) > 0)
        {
            if (y.ReadAtLeast(by, n, throwOnEndOfStream: false) != n || !bx.AsSpan(0, n).SequenceEqual(by.AsSpan(0, n)))
            {
                throw new InvalidOperationException($"the clone's {b.Name} differs from the pushed file");
            }
        }
    }

    private static TransferFigures Transfer(string json, params string[] path)
    {
        using var document = JsonDocument.Parse(json);
        var t = document.RootElement;
        foreach (var p in path)
        {
            t = t.GetProperty(p);
        }

        long Get(string name) => t.GetProperty(name).GetInt64();
        var chunksSent = Get("chunksSent");
        return chunksSent > 0
            ? new TransferFigures(Get("requests"), Get("retries"), Get("bytesSent"), Get("bytesReceived"), chunksSent, Get("chunkBytesSent"))
            : new TransferFigures(Get("requests"), Get("retries"), Get("bytesReceived"), Get("bytesSent"), Get("chunksReceived"), Get("chunkBytesReceived"));
    }

    private sealed record ServerFigures(long PeakRss, long RssBefore, double CpuSeconds, double SystemSeconds);

    /// <summary>Transfer figures of one direction: WireBytes are the bytes sent (push) or received (fetch, clone).</summary>
    private sealed record TransferFigures(long Requests, long Retries, long WireBytes, long OtherWayBytes, long Chunks, long ChunkBytes)
    {
        public string Describe(bool sent) => string.Create(CultureInfo.InvariantCulture,
            $"{Requests} requests{(Retries > 0 ? $" ({Retries} retries)" : "")}, {WireBytes / 1e6:0.0} MB {(sent ? "sent" : "received")} ({Chunks} chunks, {ChunkBytes / 1e6:0.0} MB of chunk data)");
    }

    /// <summary>Where the lmvp-server binary is: built next to the bench (it references src/Lmvp.Server), or in the same artifacts tree.</summary>
    internal sealed class ServerBinary
    {
        private readonly string _fileName;
        private readonly string[] _prefix;

        private ServerBinary(string fileName, string[] prefix)
        {
            _fileName = fileName;
            _prefix = prefix;
        }

        public static ServerBinary Locate()
        {
            var named = Environment.GetEnvironmentVariable("LMVP_BENCH_SERVER") is { Length: > 0 } value ? value : null;
            // A native (ahead-of-time compiled) lmvp-server: an executable with no dll beside it.
            if (named is not null && !named.EndsWith(".dll", StringComparison.Ordinal) && File.Exists(named))
            {
                return new ServerBinary(Path.GetFullPath(named), []);
            }

            var candidates = new[]
            {
                named,
                Path.Combine(AppContext.BaseDirectory, "lmvp-server.dll"),
                Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Lmvp.Server", new DirectoryInfo(AppContext.BaseDirectory).Name, "lmvp-server.dll")),
            };
            foreach (var dll in candidates)
            {
                if (dll is not null && File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
                {
                    var apphost = Path.ChangeExtension(dll, null);
                    return File.Exists(apphost) ? new ServerBinary(apphost, []) : new ServerBinary("dotnet", [dll]);
                }
            }

            throw new FileNotFoundException("Cannot find lmvp-server.dll next to the bench; build the bench (it references src/Lmvp.Server) or set LMVP_BENCH_SERVER to the dll (or to a native lmvp-server).");
        }

        /// <summary>Another build's lmvp-server.dll (a baseline measured in the same run).</summary>
        public static ServerBinary At(string dll) =>
            File.Exists(dll) ? new ServerBinary("dotnet", [dll]) : throw new FileNotFoundException($"No lmvp-server at {dll}.");

        public string Describe() => string.Join(' ', [_fileName, .. _prefix]);

        /// <summary>Extra environment for every child (the bucket's keys).</summary>
        public Dictionary<string, string> ChildEnvironment { get; } = [];

        /// <summary>Runs an <c>admin</c> subcommand on the storage <paramref name="storage"/> names and returns its output.</summary>
        public string Admin(string[] storage, params string[] args) => AdminWithInput(storage, null, args);

        /// <summary>Like <see cref="Admin"/>, with <paramref name="stdin"/> as standard input.</summary>
        public string AdminWithInput(string[] storage, string? stdin, params string[] args)
        {
            var start = Info(["admin", .. args, .. storage]);
            start.RedirectStandardInput = true;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start lmvp-server.");
            process.StandardInput.Write(stdin ?? "");
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? output.GetAwaiter().GetResult()
                : throw new InvalidOperationException($"lmvp-server admin {args[0]} exited with {process.ExitCode}: {error.Trim()}");
        }

        public RunningServer Start(string dataDirectory) => Start(["--data", dataDirectory]);

        public RunningServer Start(string[] storage) => RunningServer.Start(Info([.. storage, "--urls", "http://127.0.0.1:0"]));

        private ProcessStartInfo Info(IEnumerable<string> args)
        {
            var start = new ProcessStartInfo(_fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in _prefix.Concat(args))
            {
                start.ArgumentList.Add(a);
            }

            // Kestrel's request logging would cost server CPU the measurement should not include.
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            foreach (var (key, value) in ChildEnvironment)
            {
                start.Environment[key] = value;
            }
            return start;
        }
    }

    /// <summary>A running lmvp-server child; disposing it kills it (this process started it, and it is killed by its id).</summary>
    internal sealed partial class RunningServer : IDisposable
    {
        private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
        private readonly Process _process;
        private readonly List<string> _errors = [];

        private RunningServer(Process process, string url)
        {
            _process = process;
            Url = url;
        }

        public string Url { get; }

        public int Pid => _process.Id;

        public static RunningServer Start(ProcessStartInfo start)
        {
            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start lmvp-server.");
            var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var errors = new List<string>();
            // Both streams are drained for the server's whole life, so a chatty server never blocks on a full pipe.
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } m)
                {
                    url.TrySetResult(m.Groups[1].Value);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (errors)
                    {
                        errors.Add(line);
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var started = Task.WhenAny(url.Task, process.WaitForExitAsync(), Task.Delay(StartTimeout)).GetAwaiter().GetResult();
            if (started != url.Task)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.WaitForExit();
                string text;
                lock (errors)
                {
                    text = string.Join(" | ", errors.TakeLast(5));
                }

                process.Dispose();
                throw new InvalidOperationException($"lmvp-server did not say where it listens: {text}");
            }

            var server = new RunningServer(process, url.Task.Result.TrimEnd('/'));
            server._errors.AddRange(errors);
            return server;
        }

        /// <summary>Resets the server's VmHWM to its current RSS (Linux 4.0+), so the next peak belongs to what follows.</summary>
        public void ResetPeak()
        {
            try
            {
                File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The peak then covers the server's whole life, which is an upper bound.
            }
        }

        public long PeakRss() => ChildSampler.StatusBytes(Pid, "VmHWM:");

        public long CurrentRss() => ChildSampler.StatusBytes(Pid, "VmRSS:");

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit();
            _process.Dispose();
        }

        [GeneratedRegex(@"listening on (http://[^\s,]+)")]
        private static partial Regex ListeningLine();
    }

    /// <summary>Samples, every 20 ms, the server's memory and the CPU per thread of the server and of the lmvp child running now.</summary>
    /// <remarks>The lmvp child is found in /proc/self/task/*/children: it is this process's child that is not the server.</remarks>
    private sealed class ChildSampler : IDisposable
    {
        private const int PollMilliseconds = 20;
        private const double TicksPerSecond = 100; // USER_HZ

        private readonly int _serverPid;
        private readonly Dictionary<int, Dictionary<int, ThreadTicks>> _threads = [];
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly Thread _poller;
        private int _clientPid;
        private long _serverPeak;
        private volatile bool _stop;

        public ChildSampler(int serverPid)
        {
            _serverPid = serverPid;
            Poll(serverPid, initial: true);
            _poller = new Thread(() =>
            {
                while (!_stop)
                {
                    Thread.Sleep(PollMilliseconds);
                    PollAll();
                }
            })
            { IsBackground = true, Name = "child-sampler" };
            _poller.Start();
        }

        public (Profile? Client, Profile Server, long ServerPeak) Stop(string scenario, string operation)
        {
            _stop = true;
            _poller.Join();
            PollAll();
            var wall = _wall.Elapsed.TotalSeconds;
            var client = _clientPid != 0 ? Build(scenario, operation + ": lmvp (client)", wall, _clientPid) : null;
            return (client, Build(scenario, operation + ": lmvp-server", wall, _serverPid), _serverPeak);
        }

        public void Dispose()
        {
            _stop = true;
            if (_poller.IsAlive)
            {
                _poller.Join();
            }
        }

        public static long StatusBytes(int pid, string key)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith(key, StringComparison.Ordinal))
                    {
                        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process is gone.
            }

            return 0;
        }

        private Profile Build(string scenario, string operation, double wall, int pid)
        {
            var threads = _threads.TryGetValue(pid, out var t) ? t.Values.ToList() : [];
            var cpu = threads.Sum(x => x.User + x.System - x.StartUser - x.StartSystem) / TicksPerSecond;
            var system = threads.Sum(x => x.System - x.StartSystem) / TicksPerSecond;
            var top = threads
                .Select(x => (Name: Describe(x.Name, x.Tid == pid), Ticks: x.User + x.System - x.StartUser - x.StartSystem))
                .Where(x => x.Ticks > 0)
                .GroupBy(x => x.Name)
                .SelectMany(g => g.Count() <= 3
                    ? g.Select(x => new ThreadCpu(x.Name, x.Ticks / TicksPerSecond))
                    : [new ThreadCpu($"{g.Count()} {g.Key}s", g.Sum(x => x.Ticks) / TicksPerSecond)])
                .OrderByDescending(x => x.CpuSeconds)
                .Take(4)
                .ToList();
            return new Profile(scenario, operation, wall, cpu, system, top);
        }

        private static string Describe(string name, bool main) => name switch
        {
            _ when main => "main",
            _ when name.StartsWith(".NET Long Run", StringComparison.Ordinal) => "pipeline worker",
            _ when name.StartsWith(".NET Tiered", StringComparison.Ordinal) => "JIT tier-up",
            _ when name.StartsWith(".NET TP Worker", StringComparison.Ordinal) => "thread-pool worker",
            _ when name.StartsWith(".NET SigHandler", StringComparison.Ordinal) || name.StartsWith(".NET EventPipe", StringComparison.Ordinal) => "runtime",
            _ => name,
        };

        private void PollAll()
        {
            _serverPeak = Math.Max(_serverPeak, StatusBytes(_serverPid, "VmHWM:"));
            Poll(_serverPid, initial: false);
            if (_clientPid == 0)
            {
                _clientPid = FindClient();
            }

            if (_clientPid != 0)
            {
                // Every thread of the client was born after the start, so all of its CPU counts.
                Poll(_clientPid, initial: false);
            }
        }

        private int FindClient()
        {
            try
            {
                foreach (var task in Directory.GetDirectories("/proc/self/task"))
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var pid = int.Parse(child, CultureInfo.InvariantCulture);
                        if (pid != _serverPid)
                        {
                            return pid;
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No children file on this kernel, or a task ended while listing: no client profile.
            }

            return 0;
        }

        private void Poll(int pid, bool initial)
        {
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{pid}/task");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }

            if (!_threads.TryGetValue(pid, out var known))
            {
                _threads[pid] = known = [];
            }

            foreach (var task in tasks)
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var user = long.Parse(fields[11], CultureInfo.InvariantCulture);
                var system = long.Parse(fields[12], CultureInfo.InvariantCulture);
                var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                known[tid] = known.TryGetValue(tid, out var before)
                    ? before with { Name = name, User = user, System = system }
                    : new ThreadTicks(tid, name, initial ? user : 0, initial ? system : 0, user, system);
            }
        }

        private sealed record ThreadTicks(int Tid, string Name, long StartUser, long StartSystem, long User, long System);
    }
}
