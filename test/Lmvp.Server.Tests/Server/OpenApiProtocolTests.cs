using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lmvp.Testing;
using Lmvp.Store.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.Server;

/// <summary>The server's OpenAPI document describes the sync protocol with the very types the client uses
/// (Lmvp.Store.Protocol): the same names, properties and JSON types, on the routes that carry them.</summary>
[TestFixture]
public sealed class OpenApiProtocolTests
{
    private static readonly (string Method, string Path, Type? Request, Type Response)[] Routes =
    [
        ("get", "/api/v1/repos/{owner}/{name}/refs", null, typeof(RefsResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/objects/missing", typeof(IdListRequest), typeof(MissingResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/chunks/missing", typeof(IdListRequest), typeof(MissingResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/objects", null, typeof(StoredResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/chunks", null, typeof(StoredResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/refs/update", typeof(RefUpdateRequest), typeof(RefUpdateResponse)),
        ("post", "/api/v1/repos/{owner}/{name}/objects/closure", typeof(ClosureRequest), typeof(byte[])),
        ("post", "/api/v1/repos/{owner}/{name}/chunks/download", typeof(IdListRequest), typeof(byte[])),
        ("get", "/api/v1/user", null, typeof(CurrentUserResponse)),
    ];

    [Test]
    public async Task EverySharedProtocolType_IsInTheDocument_WithTheSamePropertiesAndTypes()
    {
        var document = await DocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var info in ProtocolTypes())
        {
            schemas.TryGetProperty(info.Type.Name, out var schema).Should().BeTrue("{0} is a protocol type the server answers or accepts", info.Type.Name);
            var documented = schema.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => JsonType(p.Value));
            var shared = info.Properties.ToDictionary(p => p.Name, p => JsonType(p.PropertyType));
            documented.Should().BeEquivalentTo(shared, "the document and Lmvp.Store.Protocol.{0} agree", info.Type.Name);
        }
    }

    [Test]
    public async Task TheSyncRoutes_CarryTheSharedTypes()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        foreach (var (method, path, request, response) in Routes)
        {
            paths.TryGetProperty(path, out var item).Should().BeTrue("{0} is documented", path);
            var operation = item.GetProperty(method);
            if (request is not null)
            {
                Reference(operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"))
                    .Should().Be(request.Name, "{0} {1} takes {2}", method, path, request.Name);
            }

            var ok = operation.GetProperty("responses").GetProperty("200").GetProperty("content");
            if (response == typeof(byte[]))
            {
                ok.TryGetProperty(FrameFormat.MediaType, out _).Should().BeTrue("{0} answers a frame stream", path);
            }
            else
            {
                Reference(ok.GetProperty("application/json").GetProperty("schema")).Should().Be(response.Name, "{0} {1} answers {2}", method, path, response.Name);
            }
        }
    }

    [Test]
    public async Task EveryApiRouteTheServerMaps_IsInTheDocument_WithItsMethods()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        var paths = JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json")).RootElement.GetProperty("paths").EnumerateObject()
            .ToDictionary(p => p.Name.TrimEnd('/'), p => p.Value);
        var routes = server.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("api/v1", StringComparison.Ordinal))
            .ToList();
        routes.Should().Contain(e => e.RoutePattern.RawText!.Contains("/resolve/", StringComparison.Ordinal), "the content API is mapped");
        foreach (var endpoint in routes)
        {
            var path = "/" + System.Text.RegularExpressions.Regex.Replace(endpoint.RoutePattern.RawText!.TrimStart('/'), @"\{(?:\*\*)?(\w+)(?::\w+)?\}", "{$1}").TrimEnd('/');
            paths.TryGetValue(path, out var item).Should().BeTrue("{0} is mapped, so it is documented", path);
            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods)
            {
                item.TryGetProperty(method.ToLowerInvariant(), out _).Should().BeTrue("{0} {1} is documented", method, path);
            }
        }
    }

    private static IEnumerable<JsonTypeInfo> ProtocolTypes() =>
        typeof(ProtocolJsonContext).GetProperties()
            .Where(p => typeof(JsonTypeInfo).IsAssignableFrom(p.PropertyType) && p.PropertyType.IsGenericType && p.PropertyType.GetGenericArguments()[0].Namespace == typeof(ApiError).Namespace)
            .Select(p => (JsonTypeInfo)p.GetValue(ProtocolJsonContext.Default)!);

    private static async Task<JsonElement> DocumentAsync()
    {
        await using var server = await TestServer.StartAsync();
        using var http = server.CreateClient();
        return JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json")).RootElement.Clone();
    }

    private static string Reference(JsonElement schema) => schema.GetProperty("$ref").GetString()!.Split('/')[^1];

    /// <summary>The JSON type of a documented property: "string", "integer", "boolean", "array", "object" (nullability aside).</summary>
    private static string JsonType(JsonElement property)
    {
        if (property.TryGetProperty("$ref", out _))
        {
            return "object";
        }

        var type = property.GetProperty("type");
        return type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).First(t => t != "null") : type.GetString()!;
    }

    private static string JsonType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) ? "string"
            : type == typeof(bool) ? "boolean"
            : type == typeof(int) || type == typeof(long) ? "integer"
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? "array"
            : "object";
    }
}
