using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>Real torch checkpoint series (issue 9): a small transformer trained for a few epochs, checkpointed the ways training
/// does, committed one epoch after another; stored bytes against the logical ones and against plain <c>zstd -1</c> of the same
/// files; a fine-tune saved under per-epoch names against the bytes that actually changed; the cutting strategies; and a push.</summary>
internal static class ModelScenarios
{
    private const string Python = "/usr/bin/python3";

    private static readonly (string File, string What, double Target)[] Series =
    [
        ("model.pt", "fp32 state dict (torch.save)", 1.17),
        ("checkpoint.pt", "fp32 weights + AdamW state (torch.save)", 1.17),
        ("model.safetensors", "bf16 weights (safetensors)", 1.45),
    ];

    public static void Training(ScenarioContext context)
    {
        // LMVP_BENCH_SERIES names a series trained before (by the same script), to measure again without training again.
        var series = Environment.GetEnvironmentVariable("LMVP_BENCH_SERIES") is { Length: > 0 } given && File.Exists(Path.Combine(given, "series.json"))
            ? given
            : Path.Combine(context.Directory, "series");
        var trained = TimeSpan.Zero;
        if (series.StartsWith(context.Directory, StringComparison.Ordinal))
        {
            context.Log("training a small transformer with torch (4 epochs, then a 3-epoch fine-tune of the last block and head)");
            trained = ScenarioContext.Time(() => Run(Python, Path.Combine(AppContext.BaseDirectory, "Training", "train_series.py"), "--out", series));
        }

        using var log = JsonDocument.Parse(File.ReadAllText(Path.Combine(series, "series.json")));
        var epochs = log.RootElement.GetProperty("full").GetArrayLength();
        context.Note($"Training series: bench/Lmvp.Bench/Training/train_series.py with {Python} (torch {Run(Python, "-c", "import torch; print(torch.__version__)").Trim()}), "
            + $"{(trained == TimeSpan.Zero ? "trained before, in " + series : $"{trained.TotalSeconds:0} s")}; {epochs} epochs of AdamW on every weight, then a fine-tune of the last block, norm and head.");

        foreach (var (file, what, target) in Series)
        {
            CommitSeries(context, series, file, what, target, epochs);
        }

        var baseModel = Path.Combine(series, "full", epochs.ToString("00", CultureInfo.InvariantCulture), "model.pt");
        var finetune = log.RootElement.GetProperty("finetune");
        FineTune(context, finetune, series, baseModel);
        Cutting(context, series, epochs, baseModel, finetune.EnumerateArray().Sum(e => e.GetProperty("changed_tensor_bytes").GetInt64()));
        Push(context, series, epochs);
    }

    /// <summary>Commits one file epoch after epoch into its own repository (the same path each time, as a training loop overwrites
    /// it), and compares the stored bytes with the logical ones and with zstd -1.</summary>
    private static void CommitSeries(ScenarioContext context, string series, string file, string what, double target, int epochs)
    {
        var work = Path.Combine(context.Directory, "repo-" + Path.GetFileNameWithoutExtension(file) + Path.GetExtension(file).TrimStart('.'));
        Directory.CreateDirectory(work);
        using var repository = Repository.Init(work);
        long logical = 0, stored = 0, fresh = 0, zstd = 0, firstLogical = 0, firstStored = 0;
        double commitSeconds = 0, zstdSeconds = 0;
        for (var e = 1; e <= epochs; e++)
        {
            var source = Path.Combine(series, "full", e.ToString("00", CultureInfo.InvariantCulture), file);
            File.Copy(source, Path.Combine(work, file), overwrite: true);
            ScenarioContext.Warm(source);
            var clock = Stopwatch.StartNew();
            var result = repository.Commit(new CommitOptions { Message = $"epoch {e}", Author = "bench <bench@example.com>", RecordProvenance = false });
            commitSeconds += clock.Elapsed.TotalSeconds;
            var (compressed, seconds) = Zstd(source);
            zstdSeconds += seconds;
            if (e == 1)
            {
                (firstLogical, firstStored) = (result.BytesScanned, result.BytesStored);
                continue;
            }

            logical += result.BytesScanned;
            fresh += result.BytesNew;
            stored += result.BytesStored;
            zstd += compressed;
        }

        var label = $"{what}, epochs 2-{epochs}";
        context.Add($"{label}: logical / stored (every weight changed)", (double)logical / stored, "x", Goal.Min(target),
            note: $"{ScenarioContext.Size(logical)} logical, {ScenarioContext.Size(fresh)} new after dedup, {ScenarioContext.Size(stored)} stored; "
            + $"epoch 1 alone {(double)firstLogical / firstStored:0.000}x; commits {ScenarioContext.MBps(logical + firstLogical, TimeSpan.FromSeconds(commitSeconds)):0} MB/s");
        context.Add($"{label}: plain zstd -1 of the same files (the peer)", (double)logical / zstd, "x",
            note: $"{ScenarioContext.Size(zstd)}; zstd -1 at {ScenarioContext.MBps(logical + firstLogical, TimeSpan.FromSeconds(zstdSeconds)):0} MB/s (native, one thread)");
    }

    /// <summary>The fine-tune saved as ft_e01.pt, ft_e02.pt, ... next to the model it starts from: each commit should store about
    /// the bytes of the tensors that changed, although every file has a new name (and so new zip entry names).</summary>
    private static void FineTune(ScenarioContext context, JsonElement epochs, string series, string baseModel)
    {
        var work = Path.Combine(context.Directory, "repo-finetune");
        Directory.CreateDirectory(work);
        using var repository = Repository.Init(work);
        File.Copy(baseModel, Path.Combine(work, "pretrained.pt"));
        repository.Commit(new CommitOptions { Message = "pretrained", Author = "bench <bench@example.com>", RecordProvenance = false });
        long ideal = 0, fresh = 0, stored = 0;
        var perEpoch = new List<string>();
        foreach (var epoch in epochs.EnumerateArray())
        {
            var e = epoch.GetProperty("epoch").GetInt32();
            var name = $"ft_e{e:00}.pt";
            File.Copy(Path.Combine(series, "finetune", e.ToString("00", CultureInfo.InvariantCulture), name), Path.Combine(work, name));
            var result = repository.Commit(new CommitOptions { Message = $"fine-tune epoch {e}", Author = "bench <bench@example.com>", RecordProvenance = false });
            var changed = epoch.GetProperty("changed_tensor_bytes").GetInt64();
            perEpoch.Add(string.Create(CultureInfo.InvariantCulture, $"e{e}: {100.0 * result.BytesNew / changed:0.0}%"));
            ideal += changed;
            fresh += result.BytesNew;
            stored += result.BytesStored;
        }

        context.Add("fine-tune under per-epoch names: new bytes after dedup, % of the bytes of the tensors that changed", 100.0 * fresh / ideal, "%", Goal.Max(103),
            note: $"{ScenarioContext.Size(fresh)} new for {ScenarioContext.Size(ideal)} of changed tensors ({string.Join(", ", perEpoch)}); "
            + $"{ScenarioContext.Size(stored)} stored after compression ({100.0 * stored / ideal:0.0}%)");
    }

    /// <summary>What the format readers buy, and fixed pieces against content-defined chunks inside tensors: bytes new after dedup
    /// for the fine-tune (saved under new names, after the model it starts from) against the bytes that changed, the same for
    /// the full run, and the chunking speed of each.</summary>
    private static void Cutting(ScenarioContext context, string series, int epochs, string baseModel, long changed)
    {
        var finetune = Directory.GetFiles(Path.Combine(series, "finetune"), "*.pt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var full = Enumerable.Range(1, epochs).Select(e => Path.Combine(series, "full", e.ToString("00", CultureInfo.InvariantCulture), "checkpoint.pt")).ToList();
        foreach (var cutting in Enum.GetValues<StoreInternals.Cutting>())
        {
            var (tuneNew, _, _) = Dedup([baseModel, .. finetune], cutting, skipFirst: true);
            var (fullNew, fullLogical, chunks) = Dedup(full, cutting, skipFirst: false);
            var largest = full[^1];
            var clock = Stopwatch.StartNew();
            StoreInternals.ChunkWith(largest, cutting);
            var speed = ScenarioContext.MBps(new FileInfo(largest).Length, clock.Elapsed);
            context.Add($"cutting {Describe(cutting)}: fine-tune, new bytes after dedup, % of the bytes of the tensors that changed", 100.0 * tuneNew / changed, "%",
                note: string.Create(CultureInfo.InvariantCulture,
                    $"full run with optimizer state: {100.0 * fullNew / fullLogical:0.0}% new in {chunks} chunks; chunking (read, cut, hash) {speed:0} MB/s"));
        }
    }

    private static string Describe(StoreInternals.Cutting cutting) => cutting switch
    {
        StoreInternals.Cutting.PlainCdc => "by content only (no format reader)",
        StoreInternals.Cutting.TensorCutsCdcInside => "at tensors, content-defined inside",
        _ => "at tensors, fixed 64 KiB pieces inside (what commits do)",
    };

    /// <summary>Bytes of chunks not seen in earlier files (not counting the first file's with <paramref name="skipFirst"/>).</summary>
    private static (long New, long Logical, int Chunks) Dedup(IReadOnlyList<string> files, StoreInternals.Cutting cutting, bool skipFirst)
    {
        var seen = new HashSet<ObjectId>();
        long fresh = 0, logical = 0;
        var chunks = 0;
        for (var i = 0; i < files.Count; i++)
        {
            foreach (var c in StoreInternals.ChunkWith(files[i], cutting))
            {
                logical += c.Length;
                chunks++;
                if (seen.Add(c.Id) && !(skipFirst && i == 0))
                {
                    fresh += c.Length;
                }
            }
        }

        return (fresh, logical, chunks);
    }

    /// <summary>Pushes the fp32 series repository to a real lmvp-server: the wire should carry the compressed bytes.</summary>
    private static void Push(ScenarioContext context, string series, int epochs)
    {
        var work = Path.Combine(context.Directory, "repo-modelpt");
        var serverData = Path.Combine(context.Directory, "server");
        Environment.SetEnvironmentVariable("LMVP_CONFIG_DIR", Path.Combine(context.Directory, "config"));
        var server = SyncScenarios.ServerBinary.Locate();
        server.Admin(["--data", serverData], "create-user", "bench");
        Environment.SetEnvironmentVariable("LMVP_TOKEN", server.Admin(["--data", serverData], "create-token", "bench", "--scope", "write").Trim());
        server.Admin(["--data", serverData], "create-repo", "bench/series");
        using var running = server.Start(serverData);
        context.Cli.Run(work, "remote", "add", "origin", $"{running.Url}/bench/series").EnsureSuccess("remote add");
        var push = context.Cli.Run(work, "push", "--json").EnsureSuccess("push");
        using var json = JsonDocument.Parse(push.Output);
        var t = json.RootElement.GetProperty("transfer");
        var logical = t.GetProperty("logicalBytes").GetInt64();
        var wire = t.GetProperty("bytesSent").GetInt64();
        context.Add($"push of the fp32 series ({epochs} commits of model.pt): logical / bytes on the wire", (double)logical / wire, "x", Goal.Min(1.17),
            note: $"{ScenarioContext.Size(logical)} of files, {ScenarioContext.Size(t.GetProperty("chunkBytesSent").GetInt64())} of chunks new to the server, "
            + $"{ScenarioContext.Size(t.GetProperty("chunkWireBytesSent").GetInt64())} of them on the wire, {ScenarioContext.Size(wire)} sent in all "
            + $"({t.GetProperty("requests").GetInt64()} requests); {push.DescribeCpu()}");
    }

    /// <summary>The size of <c>zstd -1</c>'s output for a file, and how long it took.</summary>
    private static (long Bytes, double Seconds) Zstd(string path)
    {
        var start = new ProcessStartInfo("zstd") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-1", "-c", "-q", "--single-thread", path })
        {
            start.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start zstd (apt-get install zstd).");
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = process.StandardOutput.BaseStream.Read(buffer)) > 0)
        {
            total += n;
        }

        process.WaitForExit();
        return process.ExitCode == 0 ? (total, clock.Elapsed.TotalSeconds) : throw new InvalidOperationException($"zstd exited with {process.ExitCode}");
    }

    /// <summary>Runs a program to its end and returns its output; a failure throws with its error output.</summary>
    internal static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.GetAwaiter().GetResult() : throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {error.Trim()}");
    }
}
