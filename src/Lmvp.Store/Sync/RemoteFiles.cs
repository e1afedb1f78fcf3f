using System.Net;
using System.Net.Http.Headers;

namespace Lmvp.Store.Sync;

/// <summary>What a one-file download did.</summary>
/// <param name="Destination">Where the file is now.</param>
/// <param name="Commit">The commit the revision named when the download started.</param>
/// <param name="FileId">The file's id (BLAKE3 of its content), which the downloaded bytes were checked against.</param>
/// <param name="Size">Its size.</param>
/// <param name="BytesReceived">Bytes of content this call received (less than the size when it resumed a partial copy).</param>
public sealed record RemoteFileResult(string Destination, ObjectId Commit, ObjectId FileId, long Size, long BytesReceived);

/// <summary>One file of a repository on a server, without a clone: <c>lmvp get</c>.</summary>
public static class RemoteFiles
{
    private const int CopyBuffer = 1 << 20;

    /// <summary>Downloads <paramref name="path"/> at <paramref name="revision"/> of the repository at <paramref name="repositoryUrl"/> to
    /// <paramref name="destination"/>, resuming a partial copy an earlier call left, and checks the whole file against its id
    /// before it replaces the destination.</summary>
    /// <exception cref="RemoteException">The server refused, has no such file, or could not be reached.</exception>
    /// <exception cref="CorruptObjectException">The bytes do not hash to the file's id (nothing is kept).</exception>
    public static async Task<RemoteFileResult> DownloadAsync(string repositoryUrl, string path, string destination, string revision = "HEAD",
        SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repositoryUrl);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var url = RemoteUrl.Parse(repositoryUrl);
        options ??= new SyncOptions();
        options.Validate();
        var token = options.Token ?? (options.Credentials ?? CredentialStore.Default).GetToken(url.Url);
        using var connection = new SyncConnection(url, token, options);
        var route = Escape(path.Trim('/'));

        // One byte first: it pins the commit (a branch may move during a long download) and names the file and its size.
        var (commit, fileId, size) = await WithFileMessagesAsync(path, revision, () => connection.SendAsync(
            () => Ranged($"resolve/{Uri.EscapeDataString(revision)}/{route}", 0, null),
            (response, _) => Task.FromResult(Describe(response, connection.Server)), 1, cancellationToken)).ConfigureAwait(false);
        var partial = $"{destination}.lmvp-partial-{fileId.ToShortString()}";
        long received = 0;
        if (!File.Exists(partial) || new FileInfo(partial).Length < size)
        {
            await WithFileMessagesAsync(path, revision, () => connection.SendAsync(
                () => Ranged($"resolve/{commit}/{route}", File.Exists(partial) ? new FileInfo(partial).Length : 0, fileId),
                async (response, ct) =>
                {
                    var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? 0 : 0;
                    var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                    await using (file.ConfigureAwait(false))
                    {
                        file.SetLength(start);
                        file.Position = start;
                        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                        await using (body.ConfigureAwait(false))
                        {
                            var buffer = new byte[CopyBuffer];
                            int n;
                            while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                            {
                                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                                received += n;
                                options.Progress?.Report(new ProgressInfo("get", file.Position, size));
                            }
                        }
                    }

                    return true;
                }, size, cancellationToken)).ConfigureAwait(false);
        }

        if (await HashFileAsync(partial, cancellationToken).ConfigureAwait(false) != fileId || new FileInfo(partial).Length != size)
        {
            File.Delete(partial);
            throw new CorruptObjectException($"{path} from {connection.Server} does not hash to its id {fileId.ToShortString()}: it was damaged on the way and not kept; run the command again.");
        }

        File.Move(partial, destination, overwrite: true);
        return new RemoteFileResult(destination, commit, fileId, size, received);
    }

    private static HttpRequestMessage Ranged(string route, long from, ObjectId? ifRange)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Range = new RangeHeaderValue(from, from == 0 && ifRange is null ? 0 : null);
        if (ifRange is { } id && from > 0)
        {
            request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"" + id + "\""));
        }

        return request;
    }

    private static (ObjectId Commit, ObjectId FileId, long Size) Describe(HttpResponseMessage response, string server)
    {
        static string? Header(HttpResponseMessage r, string name) => r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
        var size = response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength;
        if (!ObjectId.TryParse(Header(response, "X-Lmvp-Commit"), out var commit) || !ObjectId.TryParse(Header(response, "X-Lmvp-File-Id"), out var fileId) || size is null)
        {
            throw new RemoteException($"{server} did not say which file it sent (an lmvp-server too old for 'lmvp get'?)");
        }

        return (commit, fileId, size.Value);
    }

    /// <summary>The server's own words for a missing file or revision, instead of "repository not found".</summary>
    private static async Task<T> WithFileMessagesAsync<T>(string path, string revision, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RemoteException e) when (e.StatusCode is 404 or 400 && e.ServerMessage is { } message && !message.StartsWith("repository ", StringComparison.Ordinal))
        {
            throw new RemoteException($"cannot get {path} at {revision}: {message}", e);
        }
    }

    private static async Task<ObjectId> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        using var hasher = Blake3.Hasher.New();
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            var buffer = new byte[8 << 20];
            int n;
            while ((n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.Update(buffer.AsSpan(0, n));
            }
        }

        return new ObjectId(hasher.Finalize().AsSpan());
    }

    private static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
