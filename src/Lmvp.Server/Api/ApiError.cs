global using ApiError = Lmvp.Store.Protocol.ApiError;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>Error results with the protocol's <see cref="ApiError"/> body.</summary>
internal static class Errors
{
    /// <summary>Declares, for the OpenAPI document, that a group's endpoints may answer these statuses with an <see cref="ApiError"/>.</summary>
    public static RouteGroupBuilder WithErrorResponses(this RouteGroupBuilder group, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            group.WithMetadata(new Microsoft.AspNetCore.Http.ProducesResponseTypeMetadata(status, typeof(ApiError), ["application/json"]));
        }

        return group;
    }

    public static JsonHttpResult<ApiError> Status(int statusCode, string message) => TypedResults.Json(new ApiError(message), Lmvp.Store.Protocol.ProtocolJsonContext.Default.ApiError, statusCode: statusCode);

    public static JsonHttpResult<ApiError> BadRequest(string message) => Status(StatusCodes.Status400BadRequest, message);

    public static JsonHttpResult<ApiError> Unauthorized(string message) => Status(StatusCodes.Status401Unauthorized, message);

    public static JsonHttpResult<ApiError> Forbidden(string message) => Status(StatusCodes.Status403Forbidden, message);

    public static JsonHttpResult<ApiError> NotFound(string message) => Status(StatusCodes.Status404NotFound, message);

    public static JsonHttpResult<ApiError> Conflict(string message) => Status(StatusCodes.Status409Conflict, message);

    public static JsonHttpResult<ApiError> Unprocessable(string message) => Status(StatusCodes.Status422UnprocessableEntity, message);

    /// <summary>The answer to a refused ref move.</summary>
    public static JsonHttpResult<ApiError> ForMove(Services.RefMove move) => move.Status switch
    {
        Services.RefMoveStatus.Invalid => BadRequest(move.Message),
        Services.RefMoveStatus.Incomplete => Unprocessable(move.Message),
        Services.RefMoveStatus.Forbidden => Forbidden(move.Message),
        Services.RefMoveStatus.NotFound => NotFound(move.Message),
        _ => Conflict(move.Message),
    };

    /// <summary>An error with a machine-readable code (<see cref="Lmvp.Store.Protocol.ApiErrorCodes"/>).</summary>
    public static JsonHttpResult<ApiError> Coded(int statusCode, string code, string message) =>
        TypedResults.Json(new ApiError(message) { Code = code }, Lmvp.Store.Protocol.ProtocolJsonContext.Default.ApiError, statusCode: statusCode);

    /// <summary>Writes an error directly, for middleware and authentication handlers that have no result pipeline.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, string message, string? code = null)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsJsonAsync(new ApiError(message) { Code = code }, Lmvp.Store.Protocol.ProtocolJsonContext.Default.ApiError, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}
