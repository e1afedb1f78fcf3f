namespace Lmvp.Store.Sync;

/// <summary>How a push, fetch, pull or clone talks to a server.</summary>
public sealed class SyncOptions
{
    /// <summary>The default size of one download batch.</summary>
    public const int DefaultRequestBytes = 64 * 1024 * 1024;

    /// <summary>The default size of one chunk upload request: smaller than a download batch, so that a killed push loses at most
    /// three of them (three are in flight) and a server spools less per request; pushes at 16 and 64 MiB were within noise of
    /// each other when measured in alternation on one server (BENCHMARKS.md, issue 10).</summary>
    public const int DefaultUploadRequestBytes = 16 * 1024 * 1024;

    /// <summary>The repository config key that overrides <see cref="RequestBytes"/> (smaller loses less on a flaky link).</summary>
    public const string RequestBytesConfigKey = "sync.requestBytes";

    /// <summary>The smallest request size accepted: one chunk of the largest size plus its frame.</summary>
    public const int MinRequestBytes = 1024 * 1024;

    /// <summary>The bearer token; null looks it up in <see cref="Credentials"/>.</summary>
    public string? Token { get; init; }

    /// <summary>Where tokens saved by <c>lmvp login</c> are found when <see cref="Token"/> is null; null is <see cref="CredentialStore.Default"/>.</summary>
    public CredentialStore? Credentials { get; init; }

    /// <summary>Reports bytes moved ("push", "fetch"), for a progress bar.</summary>
    public IProgress<ProgressInfo>? Progress { get; init; }

    /// <summary>The most bytes of chunk data in one upload request or one download batch; null reads <see cref="RequestBytesConfigKey"/>,
    /// else <see cref="DefaultUploadRequestBytes"/> for uploads and <see cref="DefaultRequestBytes"/> for downloads.</summary>
    public int? RequestBytes { get; init; }

    /// <summary>How long a control request may take; data requests get this plus the time to move their bytes at 128 KiB/s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Tries per request for connection failures and 5xx, 408 and 429 answers.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the first retry; it doubles each time, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two tries.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>A handler for the HTTP client (tests, proxies); null uses a fresh <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? Handler { get; init; }

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentException("MaxAttempts must be at least 1.", nameof(MaxAttempts));
        }

        if (RequestBytes is < MinRequestBytes)
        {
            throw new ArgumentException($"RequestBytes must be at least {MinRequestBytes}.", nameof(RequestBytes));
        }

        if (Timeout <= TimeSpan.Zero || InitialBackoff < TimeSpan.Zero || MaxBackoff < TimeSpan.Zero)
        {
            throw new ArgumentException("Timeout and backoff must not be negative.", nameof(Timeout));
        }
    }
}

/// <summary>Options of a push.</summary>
public sealed class PushOptions
{
    /// <summary>Move the remote branch even when it is not a fast-forward (the remote's newer commits drop out of the branch).</summary>
    public bool Force { get; init; }

    /// <summary>Also push every local tag.</summary>
    public bool Tags { get; init; }

    /// <summary>Record the remote as the branch's upstream (<c>branch.NAME.remote</c>) when it has none yet.</summary>
    public bool SetUpstream { get; init; } = true;
}

/// <summary>How a pull reconciles a branch that has diverged from its upstream.</summary>
public enum PullMode
{
    /// <summary>Fast-forward only; divergence is an error.</summary>
    FastForwardOnly,

    /// <summary>Record a merge commit of both sides when they changed different files; a file changed on both sides is an error.</summary>
    Merge,
}

/// <summary>Options of a clone.</summary>
public sealed class CloneOptions
{
    /// <summary>The branch to check out; null takes the server's default branch.</summary>
    public string? Branch { get; init; }

    /// <summary>Also fetch every chunk of every older version (for offline use); by default only the checked-out snapshot's arrive.</summary>
    public bool AllChunks { get; init; }

    /// <summary>Settings written into the new repository before anything is fetched (as <c>git clone -c</c> does), e.g. <see cref="SyncOptions.RequestBytesConfigKey"/>.</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
}

/// <summary>Options of a fetch.</summary>
public sealed class FetchOptions
{
    /// <summary>Fetch every chunk of every version the refs reach (for offline use), not only the upstream snapshot's.</summary>
    public bool AllChunks { get; init; }
}
