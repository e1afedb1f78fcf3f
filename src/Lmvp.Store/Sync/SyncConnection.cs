using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lmvp.Store.Protocol;

namespace Lmvp.Store.Sync;

/// <summary>The HTTP side of one sync operation against one repository: auth, bounded retries with backoff,
/// byte counting and the mapping of refusals to one-line messages.</summary>
internal sealed class SyncConnection : IDisposable
{
    /// <summary>The most bytes of a JSON answer we accept (10,000 ids are about 700 KB).</summary>
    private const long MaxJsonAnswer = 64L * 1024 * 1024;

    private const long MaxErrorAnswer = 64 * 1024;

    private readonly HttpClient _http;
    private readonly SyncOptions _options;
    private readonly string? _token;
    private readonly string? _repository;
    private readonly RemoteUrl? _url;

    /// <summary>Where the token came from, for a 401's message: "LMVP_TOKEN", "saved" (lmvp login), or null (given by the caller).</summary>
    public string? TokenSource { get; init; }

    public SyncConnection(RemoteUrl url, string? token, SyncOptions options)
        : this(url.ApiBase, url.ServerBase, url.FullName, token, options)
    {
        Url = url;
    }

    /// <summary>A connection to server-wide endpoints (<paramref name="apiBase"/> ends with a slash).</summary>
    public SyncConnection(Uri apiBase, string server, string? repository, string? token, SyncOptions options)
    {
        Server = server;
        _repository = repository;
        _token = token;
        _options = options;
        var handler = options.Handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler, disposeHandler: options.Handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            BaseAddress = apiBase,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("lmvp", "0.1"));
    }

    /// <summary>The repository, for repository-scoped connections.</summary>
    public RemoteUrl Url { get => _url ?? throw new InvalidOperationException("Not a repository connection."); private init => _url = value; }

    public TransferCounter Counter { get; } = new();

    /// <summary>The server base URL, as messages name it.</summary>
    public string Server { get; }

    public Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), (r, ct) => ReadJsonAsync(r, answer, ct), _options.Timeout, cancellationToken);

    public Task<TAnswer> PostJsonAsync<TBody, TAnswer>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TAnswer> answer,
        CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, bodyType);
        return SendAsync(() => JsonRequest(path, bytes), (r, ct) => ReadJsonAsync(r, answer, ct), _options.Timeout, cancellationToken);
    }

    /// <summary>Posts a frame stream built afresh for each try by <paramref name="content"/>.</summary>
    public Task<T> PostFramesAsync<T>(string path, Func<HttpContent> content, long bodyBytes, JsonTypeInfo<T> answer, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = content() }, (r, ct) => ReadJsonAsync(r, answer, ct), DataTimeout(bodyBytes),
            cancellationToken);

    /// <summary>Posts JSON built afresh for each try and hands the frame-stream answer to <paramref name="read"/>.</summary>
    /// <remarks>A retry calls <paramref name="body"/> again, so a reader that keeps what it already received can ask only for the rest.
    /// An <paramref name="accept"/> of <see cref="FrameFormat.AcceptVersion2"/> asks for chunks in their stored encoding.</remarks>
    public Task PostForFramesAsync<TBody>(string path, Func<TBody> body, JsonTypeInfo<TBody> bodyType, Func<Stream, CancellationToken, Task> read,
        long expectedBytes, string? accept, CancellationToken cancellationToken) =>
        SendAsync(
            () =>
            {
                var request = JsonRequest(path, JsonSerializer.SerializeToUtf8Bytes(body(), bodyType));
                if (accept is not null)
                {
                    request.Headers.Accept.ParseAdd(accept);
                }

                return request;
            },
            async (response, ct) =>
            {
                var stream = new CountingStream(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Counter.Received);
                await using (stream.ConfigureAwait(false))
                {
                    await read(stream, ct).ConfigureAwait(false);
                }

                return true;
            },
            DataTimeout(expectedBytes),
            cancellationToken);

    /// <summary>Sends a request built afresh for each try (so a retry can ask for less) and hands the answer to <paramref name="onSuccess"/>;
    /// the time allowed grows with <paramref name="expectedBytes"/>.</summary>
    public Task<T> SendAsync<T>(Func<HttpRequestMessage> build, Func<HttpResponseMessage, CancellationToken, Task<T>> onSuccess, long expectedBytes,
        CancellationToken cancellationToken) =>
        SendAsync(build, onSuccess, DataTimeout(expectedBytes), cancellationToken);

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage JsonRequest(string path, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    /// <summary>A data request may take as long as moving its bytes at 128 KiB/s (a 64 MiB request: under the server's 10 minutes);
    /// on slower links, a smaller sync.requestBytes keeps requests inside it.</summary>
    private TimeSpan DataTimeout(long bytes) => _options.Timeout + TimeSpan.FromSeconds(bytes / (128.0 * 1024.0));

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> answer, CancellationToken cancellationToken)
    {
        var stream = new CountingStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Counter.Received, MaxJsonAnswer);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync(stream, answer, cancellationToken).ConfigureAwait(false)
                    ?? throw new RemoteException($"{Server} sent an empty answer to {response.RequestMessage?.RequestUri?.AbsolutePath}.");
            }
            catch (JsonException e)
            {
                throw new RemoteException($"{Server} sent an answer that is not the expected JSON ({e.Message}).", e);
            }
        }
    }

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> build, Func<HttpResponseMessage, CancellationToken, Task<T>> onSuccess,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        string lastFailure = "no answer";
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan? retryAfter = null;
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                cts.CancelAfter(timeout);
                try
                {
                    using var request = build();
                    if (_token is not null)
                    {
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                    }

                    if (request.Content is ByteArrayContent && request.Content.Headers.ContentLength is { } length)
                    {
                        Counter.Sent(length);
                    }

                    Counter.Request(retry: attempt > 1);
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return await onSuccess(response, cts.Token).ConfigureAwait(false);
                    }

                    var message = await ReadErrorAsync(response, cts.Token).ConfigureAwait(false);
                    var status = (int)response.StatusCode;
                    if (!IsTransient(status))
                    {
                        throw Refusal(status, message, request);
                    }

                    lastFailure = $"{status} {response.ReasonPhrase}" + (message is null ? "" : $": {message}");
                    retryAfter = response.Headers.RetryAfter?.Delta;
                    if (attempt >= _options.MaxAttempts)
                    {
                        throw new RemoteException($"server error from {Server}: {lastFailure} (gave up after {attempt} tries)", status, message);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e) when (IsTransient(e, cancellationToken))
                {
                    if (FindLmvpFailure(e) is { } inner)
                    {
                        // A local failure while writing the body (a corrupt pack), not a network one.
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                    }

                    lastFailure = e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : Describe(e);
                    if (attempt >= _options.MaxAttempts)
                    {
                        throw new RemoteException($"cannot reach {Server}: {lastFailure} (gave up after {attempt} tries)", e);
                    }
                }
                catch (HttpRequestException e)
                {
                    throw FindLmvpFailure(e) ?? new RemoteException($"cannot connect to {Server}: {Describe(e)}", e);
                }
            }

            await Task.Delay(Backoff(attempt, retryAfter), cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var delay = _options.InitialBackoff * Math.Pow(2, attempt - 1);
        if (retryAfter is { } hint && hint > delay)
        {
            delay = hint;
        }

        return delay > _options.MaxBackoff ? _options.MaxBackoff : delay;
    }

    private static bool IsTransient(int status) => status is >= 500 or 408 or 429;

    private static bool IsTransient(Exception e, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || e is not (HttpRequestException or IOException or OperationCanceledException or SocketException))
        {
            return false;
        }

        // A TLS failure (untrusted certificate, wrong host) does not go away by trying again.
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is System.Security.Authentication.AuthenticationException)
            {
                return false;
            }
        }

        return true;
    }

    private static LmvpException? FindLmvpFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is LmvpException l)
            {
                return l;
            }
        }

        return null;
    }

    private static string Describe(Exception e)
    {
        // The innermost message names the cause (Connection refused, Connection reset by peer); outer ones are generic.
        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        var text = inner.Message;
        return text.Split('\n', 2)[0].TrimEnd('\r', '.');
    }

    private RemoteException Refusal(int status, string? message, HttpRequestMessage request)
    {
        var repository = _repository ?? "the server";
        return status switch
        {
            401 => new AuthenticationFailedException(
                (_token, TokenSource) switch
                {
                    (null, _) => $"authentication failed for {Server}: no token; run 'lmvp login {Server}' (or set {CredentialStore.TokenVariable})",
                    (_, CredentialStore.TokenVariable) =>
                        $"authentication failed for {Server}: the token in {CredentialStore.TokenVariable} was rejected (unknown, expired or revoked); "
                        + $"set a valid one, or unset {CredentialStore.TokenVariable} to use the token saved by 'lmvp login'",
                    (_, "saved") => $"authentication failed for {Server}: the token saved for it was rejected (unknown, expired or revoked); run 'lmvp login {Server}' again",
                    _ => $"authentication failed for {Server}: the token was rejected",
                } + (message is null || _token is null ? "" : $" ({message})"),
                message),
            403 => new RemoteException($"permission denied: {message ?? "your token cannot do this"} ({repository} on {Server})", status, message),
            404 when _repository is not null => new RemoteException($"repository {repository} not found on {Server} (or you cannot see it; a push does not create it)", status, message),
            413 => new RemoteException($"{Server} refused a request as too large ({request.Content?.Headers.ContentLength} bytes): {message}", status, message),
            _ => new RemoteException($"{Server} refused {request.Method} {request.RequestUri?.OriginalString}: {status}" + (message is null ? "" : $" {message}"), status, message),
        };
    }

    private static async Task<string?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorAnswer];
                var total = 0;
                int n;
                while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                }

                if (total == 0)
                {
                    return null;
                }

                try
                {
                    if (JsonSerializer.Deserialize(buffer.AsSpan(0, total), ProtocolJsonContext.Default.ApiError)?.Error is { Length: > 0 } error)
                    {
                        return OneLine(error);
                    }
                }
                catch (JsonException)
                {
                }

                return OneLine(System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(total, 300)));
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
    }

    private static string OneLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
