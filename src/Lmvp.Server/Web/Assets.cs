using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Lmvp.Server.Web;

/// <summary>The stylesheet, the script and the icon, embedded in the server so the UI needs nothing from the network.</summary>
internal static class Assets
{
    private static readonly Asset Css = Load("site.css", "text/css; charset=utf-8");
    private static readonly Asset Svg = Load("icon.svg", "image/svg+xml");
    private static readonly Asset Js = Load("lmvp.js", "text/javascript; charset=utf-8");

    /// <summary>A short hash of the stylesheet, appended to its URL so browsers may cache it for good.</summary>
    public static string StylesheetVersion => Css.Version;

    /// <summary>A short hash of the script, appended to its URL likewise.</summary>
    public static string ScriptVersion => Js.Version;

    public static IResult Stylesheet(HttpContext http) => Serve(http, Css);

    public static IResult Script(HttpContext http) => Serve(http, Js);

    public static IResult Icon(HttpContext http) => Serve(http, Svg);

    private static IResult Serve(HttpContext http, Asset asset)
    {
        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(asset.Bytes, asset.ContentType, entityTag: asset.ETag);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream("Lmvp.Web." + name)
            ?? throw new InvalidOperationException($"The embedded web asset {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
        return new Asset(bytes, contentType, version, new EntityTagHeaderValue("\"" + version + "\""));
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string Version, EntityTagHeaderValue ETag);
}
