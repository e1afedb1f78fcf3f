using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;

namespace Lmvp.Server.Web;

/// <summary>Brotli or gzip, as the client asks, for pages, JSON, SVG, CSS, the script and CSV exports.</summary>
/// <remarks>
/// <para>A 5,000-row history is about 3 MB of HTML that compresses tenfold, so compression decides how fast a page arrives
/// over anything slower than loopback. Brotli at its default web quality costs about as much CPU as gzip at level 6 and
/// saves a fifth more.</para>
/// <para>Files are never compressed on the way out: a response that offers byte ranges (every download, of the web and of the
/// API) is sent as it is, so resumed downloads, Content-Length and the file's digest headers keep describing its bytes.</para>
/// <para>Over HTTPS a compressed page that shows a secret next to text an attacker chose can leak the secret through its size
/// (BREACH). Pages that show a new token or invitation once call <see cref="DoNotCompress"/>; the antiforgery token in
/// every form is re-encrypted with a random IV for each response, so its bytes never repeat.</para>
/// </remarks>
internal static class PageCompression
{
    /// <summary>The media types worth compressing (everything else, downloads included, is sent as it is).</summary>
    public static readonly string[] MediaTypes =
        ["text/html", "application/json", "image/svg+xml", "text/css", "text/javascript", "text/csv", "text/plain"];

    public static IServiceCollection AddPageCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = MediaTypes;
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        services.AddSingleton<IResponseCompressionProvider, RangeAwareProvider>();
        return services;
    }

    /// <summary>Sends this response uncompressed even over HTTPS (it shows a secret once).</summary>
    public static void DoNotCompress(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Features.Get<IHttpsCompressionFeature>() is { } feature)
        {
            feature.Mode = HttpsCompressionMode.DoNotCompress;
        }
    }

    /// <summary>The standard provider, except that a response offering byte ranges is a file and stays as it is.</summary>
    private sealed class RangeAwareProvider(IServiceProvider services, IOptions<ResponseCompressionOptions> options)
        : ResponseCompressionProvider(services, options)
    {
        public override bool ShouldCompressResponse(HttpContext context) =>
            context.Response.Headers.AcceptRanges.Count == 0 && base.ShouldCompressResponse(context);
    }
}
