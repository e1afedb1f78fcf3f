using Microsoft.AspNetCore.Http.Features;

namespace Lmvp.Server.Api;

/// <summary>The time bounds of requests; the size bounds are the protocol's (<see cref="Lmvp.Store.Protocol.ProtocolLimits"/>).</summary>
internal static class RequestLimits
{
    /// <summary>The request-timeout policy of JSON endpoints (the default).</summary>
    public const string JsonPolicy = "json";

    /// <summary>The request-timeout policy of uploads.</summary>
    public const string UploadPolicy = "upload";

    /// <summary>The request-timeout policy of frame-stream answers.</summary>
    public const string StreamPolicy = "stream";

    public static readonly TimeSpan JsonTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan StreamTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Raises the body-size limit of one endpoint above Kestrel's default (the JSON limit).</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new BodySizeLimit(bytes));
        return builder;
    }

    /// <summary>Applies the endpoint's <see cref="BodySizeLimit"/> before anything reads the body.</summary>
    public static IApplicationBuilder UseBodySizeLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>() is { } limit
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit.Bytes;
            }

            await next(context);
        });

    /// <summary>Endpoint metadata: the largest body the endpoint accepts.</summary>
    internal sealed record BodySizeLimit(long Bytes);
}
