using System.Text;

namespace Lmvp.Server.Web.Html;

/// <summary>Writes a page's parts straight from their builders to the response as UTF-8, without joining them into one
/// string first (a 5,000-row history is several megabytes).</summary>
internal sealed class HtmlResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const int FlushEvery = 64 * 1024;

    private readonly HtmlWriter[] _parts;

    public HtmlResult(int statusCode, params HtmlWriter[] parts)
    {
        StatusCode = statusCode;
        _parts = parts;
    }

    public int? StatusCode { get; }

    public string ContentType => "text/html; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode ?? StatusCodes.Status200OK;
        response.ContentType = ContentType;
        long length = 0;
        foreach (var part in _parts)
        {
            foreach (var chunk in part.Chunks)
            {
                length += Encoding.UTF8.GetByteCount(chunk.Span);
            }
        }

        response.ContentLength = length;
        if (HttpMethods.IsHead(httpContext.Request.Method))
        {
            return;
        }

        var writer = response.BodyWriter;
        var encoder = Encoding.UTF8.GetEncoder();
        var pending = 0;
        foreach (var part in _parts)
        {
            foreach (var chunk in part.Chunks)
            {
                var chars = chunk;
                while (!chars.IsEmpty)
                {
                    var span = writer.GetSpan(Math.Min(16 * 1024, Encoding.UTF8.GetMaxByteCount(chars.Length)));
                    encoder.Convert(chars.Span, span, flush: false, out var used, out var written, out _);
                    writer.Advance(written);
                    chars = chars[used..];
                    pending += written;
                    if (pending >= FlushEvery)
                    {
                        pending = 0;
                        var result = await writer.FlushAsync(httpContext.RequestAborted);
                        if (result.IsCanceled || result.IsCompleted)
                        {
                            return;
                        }
                    }
                }
            }
        }

        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
