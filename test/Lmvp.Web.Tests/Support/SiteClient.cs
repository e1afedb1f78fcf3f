using System.Net;
using System.Text.RegularExpressions;

namespace Lmvp.Web.Tests.Support;

/// <summary>A plain HTTP client that signs in through the web form, keeping cookies as a browser does (for checks below the page
/// level: headers, ranges, antiforgery).</summary>
internal sealed partial class SiteClient : IDisposable
{
    private readonly HttpClientHandler _handler;

    private SiteClient(string baseUrl)
    {
        Cookies = new CookieContainer();
        _handler = new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false };
        Http = new HttpClient(_handler) { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies { get; }

    public static SiteClient Anonymous(string baseUrl) => new(baseUrl);

    /// <summary>Signs in with the form (GET for the antiforgery token, then POST); fails the test if that does not work.</summary>
    public static async Task<SiteClient> SignInAsync(string baseUrl, string user, string password)
    {
        var client = new SiteClient(baseUrl);
        var token = await client.FormTokenAsync("signin");
        using var response = await client.PostFormAsync("signin", new() { ["_csrf"] = token, ["username"] = user, ["password"] = password });
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, "signing in as {0} should succeed", user);
        return client;
    }

    /// <summary>The antiforgery field value on the page at <paramref name="path"/>.</summary>
    public async Task<string> FormTokenAsync(string path)
    {
        var html = await Http.GetStringAsync(path);
        var match = CsrfField().Match(html);
        match.Success.Should().BeTrue("{0} should hold a form with an antiforgery field", path);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields) =>
        Http.PostAsync(path, new FormUrlEncodedContent(fields));

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
