using System.Net;
using System.Text.Json;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>GET .../tensors/{rev}/{path} and .../tensordiff?from=&amp;to=: a model file's tensors by revision name, and which tensors changed.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TensorEndpointTests
{
    private TestServer _server = null!;
    private TestUser _alice = null!;
    private TestUser _dave = null!;
    private string _repo = null!;
    private string _open = null!;

    [OneTimeSetUp]
    public async Task PushTwoVersionsAsync()
    {
        _server = await TestServer.StartAsync();
        _alice = await _server.CreateUserAsync("alice");
        _dave = await _server.CreateUserAsync("dave");
        _repo = await _server.CreateRepositoryAsync(_alice.WriteToken, "bert");
        using var client = ClientRepo.Create();
        var w = ModelFiles.NormalFloats(256 * 256, 1);
        var first = client.CommitFiles("epoch 1", ("model.safetensors", Model(w, ModelFiles.NormalFloats(256, 2))), ("notes.txt", "hello"u8.ToArray()));
        using var http = _server.CreateClient(_alice.WriteToken);
        (await Wire.PushAsync(http, _repo, client, first.Id, null)).Status.Should().Be(HttpStatusCode.OK);
        _open = await _server.CreateRepositoryAsync(_alice.WriteToken, "open", isPrivate: false);
        (await Wire.PushAsync(http, _open, client, first.Id, null)).Status.Should().Be(HttpStatusCode.OK);
        var second = client.CommitFiles("epoch 2", ("model.safetensors", Model(w, ModelFiles.NormalFloats(256, 3))));
        (await Wire.PushAsync(http, _repo, client, second.Id, first.Id)).Status.Should().Be(HttpStatusCode.OK);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    private static byte[] Model(byte[] weight, byte[] bias) => ModelFiles.Safetensors(
    [
        new TestTensor("encoder.weight", "F32", [256, 256], weight),
        new TestTensor("encoder.bias", "F32", [256], bias),
    ]);

    [Test]
    public async Task Tensors_ListsAFilesTensors_AtARevisionByName()
    {
        using var http = _server.CreateClient(_alice.ReadToken);
        var (status, body) = await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensors/main~1/model.safetensors");

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("format").GetString().Should().Be("safetensors");
        body.GetProperty("parameters").GetInt64().Should().Be((256 * 256) + 256);
        var tensors = body.GetProperty("tensors").EnumerateArray().ToList();
        tensors.Select(t => t.GetProperty("name").GetString()).Should().Equal("encoder.weight", "encoder.bias");
        tensors[0].GetProperty("dtype").GetString().Should().Be("float32");
        tensors[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(256, 256);
        tensors[0].GetProperty("length").GetInt64().Should().Be(256 * 256 * 4);

        var (plain, plainBody) = await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensors/main/notes.txt");
        plain.Should().Be(HttpStatusCode.OK);
        plainBody.GetProperty("format").ValueKind.Should().Be(JsonValueKind.Null);
        plainBody.GetProperty("tensors").GetArrayLength().Should().Be(0);
    }

    [Test]
    public async Task TensorDiff_NamesTheChangedTensor_ByChunkIds()
    {
        using var http = _server.CreateClient(_alice.ReadToken);
        var (status, body) = await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensordiff?from=main~1&to=main");

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        var file = body.GetProperty("files").EnumerateArray().Should().ContainSingle().Subject;
        file.GetProperty("path").GetString().Should().Be("model.safetensors");
        file.GetProperty("changed").GetInt32().Should().Be(1);
        file.GetProperty("unchanged").GetInt32().Should().Be(1);
        file.GetProperty("bytesDiffering").GetInt64().Should().Be(256 * 4);
        var changes = file.GetProperty("tensors").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("change").GetString());
        changes.Should().Equal(new Dictionary<string, string?> { ["encoder.weight"] = "unchanged", ["encoder.bias"] = "changed" });
    }

    [Test]
    public async Task BadRequests_GetClearErrors_PrivateRepositoriesStayInvisible_PublicOnesAreOpen()
    {
        using var http = _server.CreateClient(_alice.ReadToken);
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensors/main")).Status.Should().Be(HttpStatusCode.BadRequest);
        var (missing, missingBody) = await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensors/main/nope.pt");
        missing.Should().Be(HttpStatusCode.NotFound);
        missingBody.Error().Should().Contain("'nope.pt' is not a file");
        var (badRev, badRevBody) = await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensors/no-such-branch/model.safetensors");
        badRev.Should().Be(HttpStatusCode.NotFound);
        badRevBody.Error().Should().Contain("no-such-branch");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{_repo}/tensordiff?from=main")).Status.Should().Be(HttpStatusCode.BadRequest);

        using var outsider = _server.CreateClient(_dave.ReadToken);
        (await Wire.GetJsonAsync(outsider, $"api/v1/repos/{_repo}/tensors/main/model.safetensors")).Status.Should().Be(HttpStatusCode.NotFound);
        using var anonymous = _server.CreateClient();
        (await Wire.GetJsonAsync(anonymous, $"api/v1/repos/{_repo}/tensors/main/model.safetensors")).Status.Should().Be(HttpStatusCode.Unauthorized);
        var (open, openBody) = await Wire.GetJsonAsync(anonymous, $"api/v1/repos/{_open}/tensors/main/model.safetensors");
        open.Should().Be(HttpStatusCode.OK, "a public repository is readable without an account");
        openBody.GetProperty("tensors").GetArrayLength().Should().Be(2);
    }

    [Test]
    public async Task TheOpenApiDocument_DescribesBothRoutes()
    {
        using var http = _server.CreateClient();
        var paths = JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json")).RootElement.GetProperty("paths");
        paths.TryGetProperty("/api/v1/repos/{owner}/{name}/tensors/{revisionAndPath}", out var list).Should().BeTrue();
        list.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema")
            .GetProperty("$ref").GetString().Should().EndWith("/FileTensorsResponse");
        paths.TryGetProperty("/api/v1/repos/{owner}/{name}/tensordiff", out var diff).Should().BeTrue();
        diff.GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Should().Contain(["from", "to", "path"]);
    }
}
