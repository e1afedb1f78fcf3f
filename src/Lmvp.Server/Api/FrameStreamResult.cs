using System.Reflection;
using Lmvp.Store.Protocol;
using Microsoft.AspNetCore.Http.Metadata;

namespace Lmvp.Server.Api;

/// <summary>A 200 answer whose body is a frame stream (<c>application/x-lmvp-frames</c>), written as it is produced.</summary>
/// <remarks>Once the first bytes are out the status cannot change: a failure part-way aborts the connection, so the
/// client sees a stream without its end frame and keeps nothing from it.</remarks>
internal sealed class FrameStreamResult : IResult, IEndpointMetadataProvider
{
    // Frames are small headers and (mostly) 64 KiB bodies; a buffer turns them into large socket writes.
    private const int BufferSize = 1 << 20;

    private readonly Func<FrameWriter, CancellationToken, Task> _write;
    private readonly int _version;

    public FrameStreamResult(Func<FrameWriter, CancellationToken, Task> write, int version = 1)
    {
        _write = write;
        _version = version;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var cancellationToken = httpContext.RequestAborted;
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = FrameFormat.MediaType;
        await using var buffered = new BufferedStream(httpContext.Response.Body, BufferSize);
        var writer = new FrameWriter(buffered, _version);
        await _write(writer, cancellationToken);
        await writer.CompleteAsync(cancellationToken);
        await buffered.FlushAsync(cancellationToken);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(byte[]), [FrameFormat.MediaType]));
    }
}
