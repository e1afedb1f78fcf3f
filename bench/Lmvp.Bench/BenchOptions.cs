using System.Globalization;

namespace Lmvp.Bench;

/// <summary>A command-line mistake: reported in one line with the usage text.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The benchmark's command line.</summary>
internal sealed class BenchOptions
{
    public const double DefaultSizeGiB = 2;
    public const int DefaultCommits = 10_000;
    public const string DefaultDirectory = "/tmp/lmvp-bench";

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Lmvp.Bench -- [SCENARIO...|all] [options]

        Scenarios (default: all, in this order):
          chunking   FastCDC chunker alone over an in-memory buffer (size/2, at most 1 GiB)
          blake3     BLAKE3 alone: one-shot, incremental, per 64 KiB piece, per CDC chunk
          commit     commit of a new file of float32 weights (size), in-process and via the lmvp binary,
                     with a stage-by-stage breakdown (read, disk write, pipeline, pack writes, publish)
          recommit   re-commit with nothing changed, 20 files totalling 2 x size
          edit5      commit after rewriting ~5% of a safetensors-like file (size) as whole tensors
          checkout   checkout and restore of a file (size) with verification, in-process and via lmvp
          checkpoint commit, restore and checkout of new versions of 104 MB and 330 MB float32 safetensors checkpoints,
                     in-process and via lmvp, next to borg create/extract, restic backup/restore, zstd -1/-d and cp + sync
          log        log over N commits (library, `lmvp log --oneline`, `lmvp log --oneline --sort loss`)
          gitstatus  status of a git work tree of 5,000 tracked files: git's files left to git, included, and none
          sync       push, clone and fetch of a new file (size) over loopback against a real lmvp-server;
                     clone of the newest of five 100 MiB versions next to a curl GET of it, then the oldest on demand
          api        the Python package: update and download of a new file (size) next to lmvp push, curl and
                     lmvp get; re-update with nothing changed; commits of a 5,000-commit branch as JSON
          scaleout   the same push and clone through PostgreSQL + Ceph RGW vs embedded, a 5,000-commit history, 50 clients on two servers
          web        web pages of a 5,000-commit branch with 10 metrics: bytes without compression, with gzip and
                     brotli, and server time (history, metrics, overlay, CSV, API JSON); with
                     LMVP_BENCH_BASELINE_SERVER=path/to/lmvp-server.dll, the same pages from that build too
          models     a small transformer trained with torch (/usr/bin/python3): stored vs logical bytes of its
                     checkpoint series (fp32 .pt, with optimizer state, bf16 safetensors) next to zstd -1, a fine-tune
                     saved under per-epoch names against the bytes that changed, the cutting strategies, a push
          tensordiff diff --tensors of two torch.save checkpoints of size each
          startup    --help, --version, status and log -n 10 of the native lmvp (--lmvp PATH, else published here)
                     in a one-file repository, next to git status and git log -n 10 and /bin/true (hyperfine if installed)

        Options:
          --size-gib N    size of the big file in GiB (default 2; 0.25 is a one-minute smoke run)
          --commits N     commits for the log scenario (default 10000 at the default size, scaled down with it)
          --dir PATH      scratch directory, outside the repository (default /tmp/lmvp-bench)
          --json PATH     where to write the results (default DIR/results.json; the Markdown goes next to it)
          --lmvp PATH     the lmvp binary to run (default: the one built next to this benchmark)
          --keep          keep each scenario's data instead of deleting it
          --wait-idle S   before each scenario, wait up to S seconds for the machine to be idle
                          (Linux CPU pressure under 5%); figures taken on a busy machine are pessimistic
          -h, --help      show this text

        Environment:
          LMVP_BENCH_SERVER=PATH  the lmvp-server to run: a build's lmvp-server.dll, or a native one (dotnet publish
                                  src/Lmvp.Server -r linux-x64); default: the one built next to this benchmark
        """;

    private static readonly string[] KnownScenarios = ["chunking", "blake3", "commit", "recommit", "edit5", "checkout", "checkpoint", "log", "gitstatus", "sync", "api", "web", "scaleout", "models", "tensordiff", "startup"];

    public IReadOnlyList<string> Scenarios { get; private set; } = KnownScenarios;

    public double SizeGiB { get; private set; } = DefaultSizeGiB;

    public int Commits { get; private set; }

    public string Directory { get; private set; } = DefaultDirectory;

    public string? JsonPath { get; private set; }

    public string? LmvpPath { get; private set; }

    public bool Keep { get; private set; }

    public bool Help { get; private set; }

    public double WaitIdleSeconds { get; private set; }

    /// <summary>Set in a scenario child process: the scenario to run.</summary>
    public string? Child { get; private set; }

    /// <summary>Set in a scenario child process: where to write its results.</summary>
    public string? ResultPath { get; private set; }

    public static IReadOnlyList<string> AllScenarios => KnownScenarios;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var scenarios = new List<string>();
        int? commits = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{arg} needs a value");
            switch (arg)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--size-gib":
                    options.SizeGiB = ParsePositive(arg, Value());
                    break;
                case "--commits":
                    commits = (int)ParsePositive(arg, Value());
                    break;
                case "--dir":
                    options.Directory = Path.GetFullPath(Value());
                    break;
                case "--json":
                    options.JsonPath = Path.GetFullPath(Value());
                    break;
                case "--lmvp":
                    options.LmvpPath = Path.GetFullPath(Value());
                    break;
                case "--keep":
                    options.Keep = true;
                    break;
                case "--wait-idle":
                    options.WaitIdleSeconds = ParsePositive(arg, Value());
                    break;
                case "--child":
                    options.Child = Value();
                    break;
                case "--result":
                    options.ResultPath = Value();
                    break;
                case "all":
                    scenarios.AddRange(KnownScenarios);
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new UsageException($"unknown option '{arg}'");
                    }

                    if (!KnownScenarios.Contains(arg))
                    {
                        throw new UsageException($"unknown scenario '{arg}' (known: {string.Join(", ", KnownScenarios)}, all)");
                    }

                    scenarios.Add(arg);
                    break;
            }
        }

        if (scenarios.Count > 0)
        {
            options.Scenarios = KnownScenarios.Where(scenarios.Contains).ToList();
        }

        if (options.SizeGiB < 1.0 / 64)
        {
            throw new UsageException("--size-gib must be at least 1/64 (16 MiB)");
        }

        options.Commits = commits ?? (options.SizeGiB >= DefaultSizeGiB
            ? DefaultCommits
            : Math.Max(500, (int)Math.Round(DefaultCommits * options.SizeGiB / DefaultSizeGiB)));
        return options;
    }

    /// <summary>The arguments that make a child process run one scenario with the same settings.</summary>
    public IEnumerable<string> ChildArguments(string scenario, string resultPath)
    {
        yield return "--child";
        yield return scenario;
        yield return "--result";
        yield return resultPath;
        yield return "--size-gib";
        yield return SizeGiB.ToString("R", CultureInfo.InvariantCulture);
        yield return "--commits";
        yield return Commits.ToString(CultureInfo.InvariantCulture);
        yield return "--dir";
        yield return Directory;
        if (LmvpPath is not null)
        {
            yield return "--lmvp";
            yield return LmvpPath;
        }

        if (Keep)
        {
            yield return "--keep";
        }
    }

    private static double ParsePositive(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new UsageException($"{option} needs a positive number, not '{text}'");
}

/// <summary>Data sizes derived from the options.</summary>
internal sealed record BenchSizes(long FileBytes, int MicroBytes, int RecommitFiles, long RecommitFileBytes, int Commits)
{
    private const long Alignment = 64 * 1024;

    public static BenchSizes From(BenchOptions options)
    {
        var file = (long)(options.SizeGiB * (1L << 30)) / Alignment * Alignment;
        var micro = (int)Math.Min(1L << 30, file / 2 / Alignment * Alignment);
        const int files = 20;
        var perFile = file * 2 / files / 4096 * 4096;
        return new BenchSizes(file, micro, files, perFile, options.Commits);
    }
}
