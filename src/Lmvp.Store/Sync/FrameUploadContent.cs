using System.Net;
using System.Net.Http.Headers;
using Lmvp.Store.Protocol;

namespace Lmvp.Store.Sync;

/// <summary>A request body that writes a frame stream as it is sent, so nothing larger than one frame is held in memory.</summary>
/// <remarks>The length is known in advance (every frame's size is), so the server sees Content-Length and can refuse an
/// oversized body before reading it. A retry builds a new instance, which reads the data again.</remarks>
internal sealed class FrameUploadContent : HttpContent
{
    private readonly long _length;
    private readonly Func<FrameWriter, CancellationToken, Task> _writeFrames;
    private readonly TransferCounter _counter;
    private readonly int _version;

    /// <param name="payloadBytes">The data bytes of all frames (their headers, the magic and the end frame are added here).</param>
    /// <param name="frameCount">The number of frames (the end frame excluded).</param>
    /// <param name="writeFrames">Writes exactly those frames.</param>
    /// <param name="counter">Counts the bytes handed to the connection.</param>
    /// <param name="version">The frame stream version (2 carries chunks in their stored encoding).</param>
    public FrameUploadContent(long payloadBytes, int frameCount, Func<FrameWriter, CancellationToken, Task> writeFrames, TransferCounter counter, int version = 1)
    {
        _length = FrameFormat.StreamSize(payloadBytes, frameCount, version);
        _version = version;
        _writeFrames = writeFrames;
        _counter = counter;
        Headers.ContentType = new MediaTypeHeaderValue(FrameFormat.MediaType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // Not disposed: the HTTP stack owns the request stream.
        var counting = new CountingStream(stream, _counter.Sent);
        var writer = new FrameWriter(counting, _version);
        await _writeFrames(writer, cancellationToken).ConfigureAwait(false);
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        if (writer.BytesWritten != _length)
        {
            throw new InvalidOperationException($"Frame body was {writer.BytesWritten} bytes, announced {_length}.");
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
