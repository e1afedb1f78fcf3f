using Lmvp.Store.Codecs;

namespace Lmvp.Store.Formats;

/// <summary>ONNX: a protobuf ModelProto whose graph lists initializers (TensorProto: dims, data_type, name, and the values in
/// raw_data or packed float_data). Only the field headers are read; tensor bytes are skipped over.</summary>
internal static class OnnxReader
{
    private const int ModelGraph = 7;
    private const int GraphInitializer = 5;
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorFloatData = 4;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorDataLocation = 14;
    private const int MaxDims = 64;

    public static async ValueTask<TensorLayout> ReadAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var cursor = new RangeCursor(source);
        var builder = new LayoutBuilder("onnx", source.Length);
        var graphs = 0;
        await ForEachFieldAsync(cursor, source.Length, async (field, wire, end) =>
        {
            if (field == ModelGraph && wire == 2)
            {
                graphs++;
                await ForEachFieldAsync(cursor, end, async (f, w, tensorEnd) =>
                {
                    if (f == GraphInitializer && w == 2)
                    {
                        await ReadTensorAsync(cursor, tensorEnd, builder, cancellationToken).ConfigureAwait(false);
                        return true;
                    }

                    return false;
                }, cancellationToken).ConfigureAwait(false);
                return true;
            }

            return false;
        }, cancellationToken).ConfigureAwait(false);
        if (graphs != 1 || builder.TensorCount == 0)
        {
            throw new LayoutException("not an ONNX model with initializers.");
        }

        return builder.Build();
    }

    private static async ValueTask ReadTensorAsync(RangeCursor cursor, long end, LayoutBuilder builder, CancellationToken cancellationToken)
    {
        var dims = new List<long>();
        long dataType = 0;
        string name = "";
        (long Offset, long Length)? data = null;
        var external = false;
        await ForEachFieldAsync(cursor, end, async (field, wire, fieldEnd) =>
        {
            switch (field)
            {
                case TensorDims when wire == 0:
                    AddDim(dims, await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false));
                    return true;
                case TensorDims when wire == 2:
                    while (cursor.Position < fieldEnd)
                    {
                        AddDim(dims, await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false));
                    }

                    return true;
                case TensorDataType when wire == 0:
                    dataType = (long)await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                case TensorName when wire == 2:
                    name = HeaderReader.Utf8(await cursor.ReadBytesAsync(fieldEnd - cursor.Position, cancellationToken).ConfigureAwait(false));
                    return true;
                case TensorRawData or TensorFloatData when wire == 2:
                    data = (cursor.Position, fieldEnd - cursor.Position);
                    return false;
                case TensorDataLocation when wire == 0:
                    external = await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false) == 1;
                    return true;
                default:
                    return false;
            }
        }, cancellationToken).ConfigureAwait(false);

        if (external || data is not { } d)
        {
            return; // values held outside the file, or as varints: nothing to align chunks to
        }

        var type = DType.FromOnnx(dataType);
        if (type is { } t)
        {
            if (Shapes.Bytes(dims, t.Size) != d.Length)
            {
                throw new LayoutException($"initializer {name} has {d.Length} bytes, which its dims and data type do not give.");
            }

            builder.AddTensor(name, t.Name, dims, d.Offset, d.Length);
            builder.AddRegion(d.Offset, d.Length, t.Kind);
        }
        else
        {
            builder.AddTensor(name, $"onnx_type_{dataType}", dims, d.Offset, d.Length);
            builder.AddRegion(d.Offset, d.Length, ElementKind.Opaque);
        }
    }

    private static void AddDim(List<long> dims, ulong value)
    {
        if (dims.Count >= MaxDims || value > long.MaxValue)
        {
            throw new LayoutException("an initializer has too many or too large dims.");
        }

        dims.Add((long)value);
    }

    /// <summary>Walks the fields of one message up to <paramref name="end"/>; <paramref name="onField"/> answers true when it
    /// consumed the field's value (it must then leave the cursor at the field's end), false to have it skipped.</summary>
    private static async ValueTask ForEachFieldAsync(RangeCursor cursor, long end, Func<int, int, long, ValueTask<bool>> onField,
        CancellationToken cancellationToken)
    {
        while (cursor.Position < end)
        {
            var tag = await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false);
            var field = tag >> 3;
            var wire = (int)(tag & 7);
            if (field == 0 || field > int.MaxValue)
            {
                throw new LayoutException($"a protobuf field number {field} at {cursor.Position}.");
            }

            var start = cursor.Position;
            long fieldEnd;
            switch (wire)
            {
                case 0:
                    fieldEnd = -1;
                    break;
                case 1:
                    fieldEnd = start + 8;
                    break;
                case 2:
                    var length = await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false);
                    if (length > (ulong)(end - cursor.Position))
                    {
                        throw new LayoutException($"a protobuf field of {length} bytes at {start} runs past its message.");
                    }

                    fieldEnd = cursor.Position + (long)length;
                    break;
                case 5:
                    fieldEnd = start + 4;
                    break;
                default:
                    throw new LayoutException($"protobuf wire type {wire} at {start}.");
            }

            if (await onField((int)field, wire, fieldEnd).ConfigureAwait(false))
            {
                if (wire != 0 && cursor.Position != fieldEnd)
                {
                    throw new LayoutException($"a protobuf field at {start} does not end where its length says.");
                }

                continue;
            }

            if (wire == 0)
            {
                await cursor.ReadVarintAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                cursor.Position = fieldEnd;
            }

            if (cursor.Position > end)
            {
                throw new LayoutException($"a protobuf field at {start} runs past its message.");
            }
        }

        if (cursor.Position != end)
        {
            throw new LayoutException("a protobuf message does not end where its length says.");
        }
    }
}
