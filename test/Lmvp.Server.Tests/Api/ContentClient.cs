using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lmvp.Server.Tests.Server;

namespace Lmvp.Server.Tests.Api;

/// <summary>The content API's upload and commit calls as an HTTP client without the chunk protocol makes them.</summary>
internal static class ContentClient
{
    /// <summary>Starts an upload; returns its id.</summary>
    public static async Task<string> StartAsync(HttpClient http, string repository, long? size)
    {
        var (status, body) = await Wire.PostJsonAsync(http, $"api/v1/repos/{repository}/uploads", new { size });
        status.Should().Be(HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Sends one part; returns the status, the answer and the Upload-Offset header.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body, long? Offset)> PatchAsync(HttpClient http, string repository, string upload,
        long offset, ReadOnlyMemory<byte> bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"api/v1/repos/{repository}/uploads/{upload}")
        {
            Content = new ReadOnlyMemoryContent(bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request);
        var header = response.Headers.TryGetValues("Upload-Offset", out var values) ? long.Parse(values.First(), System.Globalization.CultureInfo.InvariantCulture) : (long?)null;
        return (response.StatusCode, await Wire.ReadJsonAsync(response), header);
    }

    /// <summary>Finishes an upload with a stated SHA-256.</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> FinishAsync(HttpClient http, string repository, string upload, string sha256) =>
        Wire.PostJsonAsync(http, $"api/v1/repos/{repository}/uploads/{upload}/finish", new { sha256 });

    /// <summary>Uploads a whole file in parts of <paramref name="partBytes"/> and finishes it; returns the finished upload's id.</summary>
    public static async Task<string> UploadAsync(HttpClient http, string repository, byte[] content, int partBytes = 1 << 20)
    {
        var id = await StartAsync(http, repository, content.Length);
        for (var offset = 0; offset < content.Length; offset += partBytes)
        {
            var (status, body, _) = await PatchAsync(http, repository, id, offset, content.AsMemory(offset, Math.Min(partBytes, content.Length - offset)));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
        }

        var (finished, answer) = await FinishAsync(http, repository, id, Sha256(content));
        finished.Should().Be(HttpStatusCode.OK, answer.ToString());
        return id;
    }

    /// <summary>Posts a commit request.</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> CommitAsync(HttpClient http, string repository, object request) =>
        Wire.PostJsonAsync(http, $"api/v1/repos/{repository}/commits", request);

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>GETs a path; returns the status, the bytes and the response headers.</summary>
    public static async Task<(HttpStatusCode Status, byte[] Bytes, HttpResponseMessage Response)> GetBytesAsync(HttpClient http, string path,
        RangeHeaderValue? range = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Range = range;
        var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response);
    }

    /// <summary>PUTs JSON; returns the status and the answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PutJsonAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PutAsJsonAsync(path, body);
        return (response.StatusCode, await Wire.ReadJsonAsync(response));
    }
}
