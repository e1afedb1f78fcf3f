using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary>What push, fetch, pull and clone share: options from the CLI context, and git-style rendering of results.</summary>
internal static class SyncCommandSupport
{
    /// <summary>The optional REMOTE argument (default origin).</summary>
    public static Argument<string> RemoteArgument() =>
        new Argument<string>("remote") { Description = "The remote (default origin).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => Repository.DefaultRemote }
            .RejectOptionLikeValues();

    /// <summary>The --all-chunks option of fetch and clone.</summary>
    public static Option<bool> AllChunksOption() => new("--all-chunks")
    {
        Description = "Also download every older version's chunks, for offline use (by default they stay on the remote and come when a checkout needs them).",
    };

    /// <summary>The --json option of the sync commands.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts (with bytes on the wire)." };

    /// <summary>Runs one sync operation on the repository of the working directory with this invocation's credentials and progress.</summary>
    public static async Task<T> RunAsync<T>(CliContext context, Func<Repository, SyncOptions, Task<T>> operation)
    {
        using var repository = context.OpenRepository();
        var progress = Progress(context);
        var result = await operation(repository, Options(context, progress)).ConfigureAwait(false);
        progress?.Done();
        return result;
    }

    /// <summary>The token store of this invocation's environment (LMVP_CONFIG_DIR, XDG_CONFIG_HOME, HOME, LMVP_TOKEN).</summary>
    public static CredentialStore Credentials(CliContext context) => CredentialStore.FromEnvironment(context.GetEnvironmentVariable);

    /// <summary>Progress lines on stderr when it is a terminal, else null.</summary>
    public static PhasedProgress? Progress(CliContext context) => context.ErrorIsTerminal ? new PhasedProgress(context.Error) : null;

    public static SyncOptions Options(CliContext context, IProgress<ProgressInfo>? progress) => new()
    {
        Credentials = Credentials(context),
        Progress = progress,
    };

    public static void PrintFetch(CliContext context, FetchResult result)
    {
        var changed = result.Updates.Where(u => u.Status != RefUpdateStatus.UpToDate).ToList();
        if (changed.Count == 0)
        {
            return; // git fetch is silent when nothing moved
        }

        context.Out.WriteLine($"From {result.Url}");
        var width = changed.Max(u => ShortName(u.Source).Length);
        WriteRefLines(context, changed.Select(u =>
        {
            var isTag = u.Destination.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal);
            var names = $"{ShortName(u.Source).PadRight(width)} -> {ShortName(u.Destination)}";
            return u.Status switch
            {
                RefUpdateStatus.Created => ('*', isTag ? "[new tag]" : "[new branch]", names, (string?)null),
                RefUpdateStatus.FastForward => (' ', Range(u, ".."), names, null),
                RefUpdateStatus.Forced => ('+', Range(u, "..."), names, "(forced update)"),
                _ => ('!', "[rejected]", names, "(would clobber existing tag)"),
            };
        }));
        context.Out.WriteLine(Received(result.Transfer));
    }

    /// <summary>Writes git's ref lines (" * [new branch]      main -> main"), the summary column as wide as its widest entry.</summary>
    public static void WriteRefLines(CliContext context, IEnumerable<(char Flag, string Summary, string Names, string? Note)> lines)
    {
        var list = lines.ToList();
        var width = list.Count == 0 ? 0 : list.Max(l => l.Summary.Length);
        foreach (var (flag, summary, names, note) in list)
        {
            context.Out.WriteLine($" {flag} {summary.PadRight(width)} {names}" + (note is null ? "" : $" {note}"));
        }
    }

    /// <summary>"received 12 chunks and 5 objects in 4 requests: 1.0 GiB of files, 40.0 MiB new here, 33.6 MiB on the wire (1.19x), 33.7 MiB in, 1.2 KiB out".</summary>
    public static string Received(TransferStats t) =>
        $"received {Format.Count(t.ChunksReceived, "chunk")} and {Format.Count(t.ObjectsReceived, "object")} in {Format.Count(t.Requests, "request")}: {Format.Bytes(t.LogicalBytes)} of files, "
        + $"{Format.Bytes(t.ChunkBytesReceived)} new here, {Format.Bytes(t.ChunkWireBytesReceived)} on the wire{Format.Ratio(t.ChunkBytesReceived, t.ChunkWireBytesReceived)}, "
        + $"{Format.Bytes(t.BytesReceived)} in, {Format.Bytes(t.BytesSent)} out";

    /// <summary>"sent 12 chunks and 5 objects in 4 requests: 1.0 GiB of files, 40.0 MiB new to the server, 33.6 MiB on the wire (1.19x), 33.7 MiB out, 1.2 KiB in".</summary>
    public static string Sent(TransferStats t) =>
        $"sent {Format.Count(t.ChunksSent, "chunk")} and {Format.Count(t.ObjectsSent, "object")} in {Format.Count(t.Requests, "request")}: {Format.Bytes(t.LogicalBytes)} of files, "
        + $"{Format.Bytes(t.ChunkBytesSent)} new to the server, {Format.Bytes(t.ChunkWireBytesSent)} on the wire{Format.Ratio(t.ChunkBytesSent, t.ChunkWireBytesSent)}, "
        + $"{Format.Bytes(t.BytesSent)} out, {Format.Bytes(t.BytesReceived)} in";

    public static string Range(RefUpdate u, string separator) =>
        $"{u.Old?.ToShortString() ?? "0000000"}{separator}{u.New.ToShortString()}";

    /// <summary>refs/heads/main → main, refs/remotes/origin/main → origin/main, refs/tags/v1 → v1.</summary>
    public static string ShortName(string refName)
    {
        foreach (var prefix in new[] { RefName.HeadsPrefix, RefName.RemotesPrefix, RefName.TagsPrefix })
        {
            if (refName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return refName[prefix.Length..];
            }
        }

        return refName;
    }

    public static TransferJson ToJson(TransferStats t) => new(
        t.Requests,
        t.Retries,
        t.BytesSent,
        t.BytesReceived,
        t.ChunksSent,
        t.ChunkBytesSent,
        t.ObjectsSent,
        t.ChunksReceived,
        t.ChunkBytesReceived,
        t.ObjectsReceived,
        t.LogicalBytes,
        t.ChunkWireBytesSent,
        t.ChunkWireBytesReceived);

    public static RefUpdateJson ToJson(RefUpdate u) => new(u.Source, u.Destination, u.Old?.ToString(), u.New.ToString(), u.Status.ToString().ToLowerInvariant());

    public static FetchJson ToJson(FetchResult r) => new(r.Remote, r.Url, r.RemoteHead, r.Updates.Select(ToJson), ToJson(r.Transfer));

    public static CheckoutJson? ToJson(CheckoutResult? c) =>
        c is null ? null : new CheckoutJson(c.Commit.ToString(), c.Branch, c.FilesWritten, c.FilesRemoved, c.BytesWritten);
}

/// <summary>The transfer counters of a push, fetch, pull or clone in <c>--json</c>.</summary>
internal sealed record TransferJson(
    long Requests, long Retries, long BytesSent, long BytesReceived, long ChunksSent, long ChunkBytesSent, long ObjectsSent, long ChunksReceived,
    long ChunkBytesReceived, long ObjectsReceived, long LogicalBytes, long ChunkWireBytesSent, long ChunkWireBytesReceived);

/// <summary>One ref a push or fetch moved (or was refused), in <c>--json</c>.</summary>
internal sealed record RefUpdateJson(string Source, string Destination, string? Old, string New, string Status);

/// <summary>What <c>lmvp fetch --json</c> prints; also the fetch part of pull and clone.</summary>
internal sealed record FetchJson(string Remote, string Url, string? RemoteHead, IEnumerable<RefUpdateJson> Updates, TransferJson Transfer);

/// <summary>The checkout part of <c>lmvp pull --json</c> and <c>lmvp clone --json</c>.</summary>
internal sealed record CheckoutJson(string Commit, string? Branch, int FilesWritten, int FilesRemoved, long BytesWritten);

/// <summary>What <c>lmvp push --json</c> prints.</summary>
internal sealed record PushJson(string Remote, string Url, IEnumerable<RefUpdateJson> Updates, bool UpstreamSet, TransferJson Transfer);

/// <summary>What <c>lmvp pull --json</c> prints.</summary>
internal sealed record PullJson(string Branch, string Upstream, string? Old, string? New, bool UpToDate, bool Merged, FetchJson Fetch, CheckoutJson? Checkout);

/// <summary>What <c>lmvp clone --json</c> prints.</summary>
internal sealed record CloneJson(string Directory, string? Branch, bool Resumed, FetchJson Fetch, CheckoutJson? Checkout);

/// <summary>Progress of an operation with phases (fetch, then checkout): each phase gets its own line, rate and ETA.</summary>
internal sealed class PhasedProgress : IProgress<ProgressInfo>
{
    private readonly TextWriter _error;
    private ProgressPrinter? _current;
    private string? _operation;

    public PhasedProgress(TextWriter error)
    {
        _error = error;
    }

    public void Report(ProgressInfo value)
    {
        if (_current is null || value.Operation != _operation)
        {
            _current?.Done();
            _current = new ProgressPrinter(_error);
            _operation = value.Operation;
        }

        _current.Report(value);
    }

    /// <summary>Ends the current line.</summary>
    public void Done() => _current?.Done();
}
