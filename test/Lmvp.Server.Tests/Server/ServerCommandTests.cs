using System.Net;
using System.Text.RegularExpressions;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>The lmvp-server command: admin subcommands on a data directory, the real binary's first start, the API docs.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed partial class ServerCommandTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ServerCommandLine.RunAsync(args, output, error, new StringReader(stdin));
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public async Task AdminCommands_CreateUserAndToken_WorkAgainstARunningServer()
    {
        await using var server = await TestServer.StartAsync();

        var created = await RunAsync("a long password\n", "admin", "create-user", "bob", "--password-stdin", "--data", server.DataDirectory);
        created.Code.Should().Be(0, created.Error);
        created.Out.Should().Contain("created user bob");
        var token = await RunAsync("", "admin", "create-token", "bob", "--scope", "read", "--expires-days", "7", "--data", server.DataDirectory);
        token.Code.Should().Be(0, token.Error);
        var value = token.Out.Trim();
        value.Should().StartWith("lmvp_pat_").And.NotContain("\n");

        using var http = server.CreateClient(value);
        var (status, body) = await Wire.GetJsonAsync(http, "api/v1/user");
        status.Should().Be(HttpStatusCode.OK);
        body.GetProperty("username").GetString().Should().Be("bob");
        body.GetProperty("scope").GetString().Should().Be("read");
        var (login, _) = await Wire.PostJsonAsync(server.CreateClient(), "api/v1/auth/login", new { username = "bob", password = "a long password" });
        login.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task AdminCommands_BadInput_OneLineErrorAndNonZeroExit()
    {
        await using var server = await TestServer.StartAsync();
        var data = server.DataDirectory;

        var cases = new (string Stdin, string[] Args, int Code, string Message)[]
        {
            ("", ["admin", "create-token", "nobody", "--data", data], 1, "no user named 'nobody'"),
            ("", ["admin", "create-token", "admin", "--scope", "root", "--data", data], 2, "root"),
            ("", ["admin", "create-token", "admin", "--expires-days", "0", "--data", data], 2, "--expires-days"),
            ("", ["admin", "create-user", "admin", "--data", data], 1, "already exists"),
            ("", ["admin", "create-user", "../evil", "--data", data], 2, "not a valid user name"),
            ("short\n", ["admin", "create-user", "carol", "--password-stdin", "--data", data], 2, "at least 8"),
            ("", ["admin", "create-user", "carol"], 2, "--data"),
        };
        foreach (var (stdin, args, code, message) in cases)
        {
            var result = await RunAsync(stdin, args);
            result.Code.Should().Be(code, string.Join(' ', args));
            result.Error.Should().Contain(message, string.Join(' ', args));
            result.Error.Should().NotContain("   at ", "no stack trace");
        }
    }

    [Test]
    public async Task RealBinary_FirstStart_PrintsAOneTimeTokenThatWorks_AndServesTheApiDocsWithoutTheNetwork()
    {
        var data = Path.Combine(Path.GetTempPath(), $"lmvp-server-bin-{Guid.NewGuid():N}");
        using var process = LmvpProcess.Start(Path.GetTempPath(), ["--data", data, "--urls", "http://127.0.0.1:0"], program: LmvpProcess.Server,
            captureOutput: false);
        try
        {
            string? token = null, url = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (url is null && DateTime.UtcNow < deadline)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                if (line is null)
                {
                    Assert.Fail("lmvp-server exited: " + await process.StandardError.ReadToEndAsync());
                }

                if (TokenLine().Match(line!) is { Success: true } t)
                {
                    token = t.Groups[1].Value;
                }

                if (ListeningLine().Match(line!) is { Success: true } l)
                {
                    url = l.Groups[1].Value;
                }
            }

            token.Should().NotBeNull();
            url.Should().NotBeNull();
            using var http = new HttpClient { BaseAddress = new Uri(url + "/") };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            (await Wire.GetJsonAsync(http, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK);

            var openApi = await http.GetStringAsync("openapi/v1.json");
            openApi.Should().Contain("/api/v1/repos/{owner}/{name}/refs/update").And.Contain("/api/v1/auth/login").And.Contain("bearer");
            var page = await http.GetStringAsync("api/docs/index.html");
            page.Should().Contain("swagger");
            foreach (Match asset in AssetReference().Matches(page))
            {
                var target = asset.Groups[1].Value;
                target.Should().NotMatchRegex("^(https?:)?//", "the page loads nothing from outside the server");
                using var response = await http.GetAsync(new Uri(new Uri(url + "/api/docs/"), target));
                response.StatusCode.Should().Be(HttpStatusCode.OK, target);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*token:\s+(lmvp_pat_\S+)")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex("(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex AssetReference();
}
