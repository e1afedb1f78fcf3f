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
        catch (Exception e) when (Storage.StorageErrors.IsFull(e))
        {
            // Full storage is an operator's problem, not a bug: one line in the log, 507 to the client, who does not retry.
            _logger.LogError("Storage full on {Method} {Path}: {Problem}", context.Request.Method, context.Request.Path, Storage.StorageErrors.Describe(e));
            await FailAsync(context, StatusCodes.Status507InsufficientStorage, Full(e), Lmvp.Store.Protocol.ApiErrorCodes.StorageFull);
            return;
        }
        catch (Storage.StorageFailedException e)
        {
            _logger.LogError(e, "Storage failed on {Method} {Path}", context.Request.Method, context.Request.Path);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message);
            return;
        }
        catch (Exception e) when (e is Services.DamagedDataException or Lmvp.Store.CorruptObjectException)
        {
            // The server's own copy is damaged: asking again gets the same, so say so plainly (and do not log it as a crash).
            _logger.LogWarning("Damaged data on {Method} {Path}: {Problem}", context.Request.Method, context.Request.Path, e.Message);
            await FailAsync(context, StatusCodes.Status500InternalServerError, Damaged(e), Lmvp.Store.Protocol.ApiErrorCodes.Damaged);
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

    /// <summary>The message of a full storage: what was refused and that nothing was kept.</summary>
    internal static string Full(Exception e) =>
        $"the server's storage is full ({Storage.StorageErrors.Describe(e)}): nothing was kept; the server's admin must free space before this can succeed";

    private static string Damaged(Exception e) =>
        e is Services.DamagedDataException ? e.Message : "the server's copy of this data is damaged: " + e.Message.Split('\n')[0].TrimEnd('.');

    private static async Task FailAsync(HttpContext context, int statusCode, string message, string? code = null)
    {
        if (context.Response.HasStarted)
        {
            // Part of a stream is out: cut the connection so the client sees a truncated stream, not a complete one.
            context.Abort();
            return;
        }

        context.Response.Clear();
        await Errors.WriteAsync(context, statusCode, message, code);
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
