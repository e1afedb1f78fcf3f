using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lmvp.Store.Protocol;
using Lmvp.Store;
using Lmvp.Store.Packs;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>One object or chunk as it goes over the wire: raw, or in its stored encoding (frame stream version 2).</summary>
internal sealed record WireObject(ObjectKind Kind, ObjectId Id, byte[] Data, ChunkEncoding Encoding = ChunkEncoding.Raw, int RawLength = -1)
{
    public int Raw => RawLength < 0 ? Data.Length : RawLength;
}

/// <summary>A client repository in a temporary directory, made with the Store library, whose objects and chunks the
/// tests upload raw.</summary>
internal sealed class ClientRepo : IDisposable
{
    private readonly TempDirectory _directory = new("server-client");

    private ClientRepo()
    {
        Repository = Repository.Init(Directory);
    }

    public string Directory => _directory.Path;

    public Repository Repository { get; }

    public static ClientRepo Create() => new();

    /// <summary>Writes (or overwrites) files and commits them.</summary>
    public Commit CommitFiles(string message, params (string Path, byte[] Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            var full = System.IO.Path.Combine([Directory, .. path.Split('/')]);
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
        }

        return Repository.Commit(new CommitOptions { Message = message, Author = "Test <test@example.com>", RecordProvenance = false }).Commit;
    }

    /// <summary>Every tree, commit and manifest the repository holds.</summary>
    public List<WireObject> Objects() =>
        Repository.Database.ListObjects().Select(o => new WireObject(o.Kind, o.Id, o.Data)).ToList();

    /// <summary>Every chunk the repository holds, read back (verified) from its packs.</summary>
    public List<WireObject> Chunks() =>
        Repository.Database.ListChunks().Select(c =>
        {
            var data = new byte[c.Location.RawLength];
            Repository.Store.ReadChunk(c.Id, data);
            return new WireObject(ObjectKind.Chunk, c.Id, data);
        }).ToList();

    /// <summary>Every chunk as the repository stores it (encoded), verified first.</summary>
    public List<WireObject> StoredChunks() =>
        Repository.Database.ListChunks().Select(c =>
        {
            var stored = new byte[c.Location.StoredLength];
            Repository.Store.ReadStoredChunk(c.Id, c.Location, stored, new byte[c.Location.RawLength]);
            return new WireObject(ObjectKind.Chunk, c.Id, stored, c.Location.Encoding, c.Location.RawLength);
        }).ToList();

    public void Dispose()
    {
        Repository.Dispose();
        _directory.Dispose();
    }
}

/// <summary>Frame streams and JSON calls as the sync client makes them.</summary>
internal static class Wire
{
    /// <summary>A frame stream of <paramref name="items"/>; without <paramref name="complete"/> it has no end frame (truncated).</summary>
    public static byte[] Frames(IEnumerable<WireObject> items, bool complete = true, int version = 1)
    {
        using var buffer = new MemoryStream();
        var writer = new FrameWriter(buffer, version);
        foreach (var item in items)
        {
            writer.WriteStoredAsync(item.Kind, item.Id, item.Encoding, item.Raw, item.Data).AsTask().GetAwaiter().GetResult();
        }

        if (complete)
        {
            writer.CompleteAsync().AsTask().GetAwaiter().GetResult();
        }
        else if (buffer.Length == 0)
        {
            buffer.Write(FrameFormat.Magic);
        }

        return buffer.ToArray();
    }

    public static ByteArrayContent FrameContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(FrameFormat.MediaType);
        return content;
    }

    /// <summary>Posts a frame stream; returns the status and the JSON answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> UploadAsync(HttpClient http, string path, byte[] body)
    {
        using var response = await http.PostAsync(path, FrameContent(body));
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    /// <summary>Posts JSON and reads a frame-stream answer; throws if the answer is not a complete stream.</summary>
    public static async Task<(HttpStatusCode Status, List<WireObject> Frames, JsonElement Error)> PostForFramesAsync(HttpClient http, string path, object body,
        string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, [], await ReadJsonAsync(response));
        }

        response.Content.Headers.ContentType!.MediaType.Should().Be(FrameFormat.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var reader = new FrameReader(stream);
        var frames = new List<WireObject>();
        while (await reader.ReadAsync() is { } frame)
        {
            frames.Add(new WireObject(frame.Kind, frame.Id, frame.Data.ToArray(), frame.Encoding, frame.RawLength));
        }

        return (response.StatusCode, frames, default);
    }

    /// <summary>The ids the server says it lacks, of metadata objects or chunks.</summary>
    public static async Task<List<string>> MissingAsync(HttpClient http, string repository, string what, IEnumerable<ObjectId> ids)
    {
        var (status, body) = await PostJsonAsync(http, $"api/v1/repos/{repository}/{what}/missing", new { ids = ids.Select(i => i.ToString()).ToArray() });
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        return body.GetProperty("missing").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>Pushes a repository's chunks and objects raw and moves <paramref name="refName"/> to <paramref name="commit"/>.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PushAsync(HttpClient http, string repository, ClientRepo client, ObjectId commit,
        ObjectId? old, string refName = "refs/heads/main", bool force = false)
    {
        var (chunkStatus, chunkBody) = await UploadAsync(http, $"api/v1/repos/{repository}/chunks", Frames(client.Chunks()));
        chunkStatus.Should().Be(HttpStatusCode.OK, chunkBody.ToString());
        var (objectStatus, objectBody) = await UploadAsync(http, $"api/v1/repos/{repository}/objects", Frames(client.Objects()));
        objectStatus.Should().Be(HttpStatusCode.OK, objectBody.ToString());
        return await UpdateRefAsync(http, repository, refName, old, commit, force);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> UpdateRefAsync(HttpClient http, string repository, string name, ObjectId? old,
        ObjectId target, bool force = false) =>
        PostJsonAsync(http, $"api/v1/repos/{repository}/refs/update", new { name, old = old?.ToString(), @new = target.ToString(), force });

    public static async Task<Dictionary<string, string>> RefsAsync(HttpClient http, string repository)
    {
        var (status, body) = await GetJsonAsync(http, $"api/v1/repos/{repository}/refs");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        return body.GetProperty("refs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>The JSON body of an answer (an undefined element when it has none).</summary>
    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The one-line error of a failed answer.</summary>
    public static string Error(this JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "";

}
