using System.Net;
using System.Text.RegularExpressions;

namespace Lmvp.Testing;

/// <summary>A plain HTTP client that signs in through the web form, keeping cookies as a browser does (for checks below the page
/// level: headers, ranges, antiforgery).</summary>
public sealed partial class SiteClient : IDisposable
{
    private readonly HttpClientHandler _handler;

    private SiteClient(string baseUrl)
    {
        Cookies = new CookieContainer();
        _handler = new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false };
        Http = new HttpClient(_handler) { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The client, with the site's address as its base and cookies kept.</summary>
    public HttpClient Http { get; }

    /// <summary>The cookies the site set (the session).</summary>
    public CookieContainer Cookies { get; }

    /// <summary>A client that is not signed in.</summary>
    public static SiteClient Anonymous(string baseUrl) => new(baseUrl);

    /// <summary>Signs in with the form (GET for the antiforgery token, then POST); throws if that does not work.</summary>
    public static async Task<SiteClient> SignInAsync(string baseUrl, string user, string password)
    {
        var client = new SiteClient(baseUrl);
        var token = await client.FormTokenAsync("signin");
        using var response = await client.PostFormAsync("signin", new() { ["_csrf"] = token, ["username"] = user, ["password"] = password });
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"signing in as {user} answered {(int)response.StatusCode}, not a redirect");
        }

        return client;
    }

    /// <summary>The antiforgery field value on the page at <paramref name="path"/>.</summary>
    public async Task<string> FormTokenAsync(string path)
    {
        var html = await Http.GetStringAsync(path);
        var match = CsrfField().Match(html);
        if (!match.Success)
        {
            throw new InvalidOperationException($"{path} holds no form with an antiforgery field");
        }

        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Posts a form.</summary>
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
