using System.Text.Json;
using Lmvp.Server.Api;
using Microsoft.AspNetCore.WebUtilities;

namespace Lmvp.Server.Hosting;

/// <summary>Turns every failure under <c>/api</c> into <c>{"error": "..."}</c> with the right status, never a stack trace.</summary>
internal sealed class ApiErrorMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<ApiErrorMiddleware> _logger;

    public ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await _next(context);
        }
        catch (BadHttpRequestException e)
        {
            await FailAsync(context, e.StatusCode, Describe(e));
            return;
        }
        catch (Storage.StorageFailedException e)
        {
            _logger.LogError(e, "Storage failed on {Method} {Path}", context.Request.Method, context.Request.Path);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away or the request timed out: there is no one to answer.
            return;
        }
        catch (Exception e)
        {
            // The path only, never headers: they may carry tokens.
            _logger.LogError(e, "Unhandled failure on {Method} {Path}", context.Request.Method, context.Request.Path);
            await FailAsync(context, StatusCodes.Status500InternalServerError, "internal server error");
            return;
        }

        var response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType)
            && IsApi(context.Request.Path))
        {
            var message = response.StatusCode switch
            {
                StatusCodes.Status504GatewayTimeout => "the request took too long",
                StatusCodes.Status413PayloadTooLarge => TooLarge(context),
                _ => ReasonPhrases.GetReasonPhrase(response.StatusCode).ToLowerInvariant(),
            };
            await Errors.WriteAsync(context, response.StatusCode, message);
        }
    }

    private static string TooLarge(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"the request body is too large: at most {limit} bytes here"
            : "the request body is too large";

    private static bool IsApi(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi");

    private static async Task FailAsync(HttpContext context, int statusCode, string message)
    {
        if (context.Response.HasStarted)
        {
            // Part of a stream is out: cut the connection so the client sees a truncated stream, not a complete one.
            context.Abort();
            return;
        }

        context.Response.Clear();
        await Errors.WriteAsync(context, statusCode, message);
    }

    private static string Describe(BadHttpRequestException e)
    {
        if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return "the request body is too large: " + e.Message.Split('\n')[0];
        }

        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return "invalid JSON body: " + json.Message.Split('\n')[0];
            }
        }

        return e.Message.Split('\n')[0];
    }
}
