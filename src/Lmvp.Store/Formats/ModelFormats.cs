namespace Lmvp.Store.Formats;

/// <summary>Recognizes model files (safetensors, torch.save zips, ONNX, GGUF) and reads their tensor layout.</summary>
/// <remarks>Only headers are read: a few small ranges, never the tensor bytes. A file that is not one of these formats, or
/// whose header is malformed or hostile (lengths past the end, huge shapes, deep pickles, overlapping offsets), has no
/// layout and is chunked as plain bytes; reading a layout never fails for a reason of the file's content.</remarks>
internal static class ModelFormats
{
    /// <summary>Files smaller than this are not worth a layout.</summary>
    private const long MinFileSize = 64;

    /// <summary>The layout of the file behind <paramref name="source"/>, or null when it is none of the formats or its header is malformed.</summary>
    /// <param name="source">The file's bytes.</param>
    /// <param name="path">The file's name or path (ONNX, which has no magic number, is recognized by its <c>.onnx</c> extension).</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public static async ValueTask<TensorLayout?> TryReadAsync(IRangeSource source, string? path, CancellationToken cancellationToken)
    {
        if (source.Length < MinFileSize)
        {
            return null;
        }

        try
        {
            var first = new byte[16];
            await source.ReadAsync(0, first, cancellationToken).ConfigureAwait(false);
            if (GgufReader.Sniff(first))
            {
                return await GgufReader.ReadAsync(source, cancellationToken).ConfigureAwait(false);
            }

            if (TorchZipReader.Sniff(first))
            {
                return await TorchZipReader.ReadAsync(source, cancellationToken).ConfigureAwait(false);
            }

            if (SafetensorsReader.Sniff(first, source.Length))
            {
                return await SafetensorsReader.ReadAsync(source, cancellationToken).ConfigureAwait(false);
            }

            if (path is not null && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                return await OnnxReader.ReadAsync(source, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception e) when (e is LayoutException or PrefixTooShortException or OverflowException or ArgumentException or IndexOutOfRangeException
            or InvalidDataException)
        {
            return null;
        }
    }
}
