using System.Buffers.Binary;
using System.Text.Json;

namespace Lmvp.Store.Formats;

/// <summary>safetensors: a u64 header length, a JSON header naming each tensor's dtype, shape and data offsets (relative to
/// the end of the header), then the tensor bytes.</summary>
internal static class SafetensorsReader
{
    /// <summary>The format's own bound on the header (100 MB).</summary>
    private const long MaxHeader = 100_000_000;

    /// <summary>True when the first bytes look like a safetensors header: a plausible length, then a JSON object.</summary>
    public static bool Sniff(ReadOnlySpan<byte> first, long fileLength) =>
        first.Length >= 9 && first[8] == (byte)'{'
        && BinaryPrimitives.ReadUInt64LittleEndian(first) is var n && n >= 2 && n <= MaxHeader && (long)n <= fileLength - 8;

    public static async ValueTask<TensorLayout> ReadAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var prefix = new byte[8];
        await source.ReadAsync(0, prefix, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length < 2 || length > MaxHeader || (long)length > source.Length - 8)
        {
            throw new LayoutException($"a header length of {length} does not fit the file.");
        }

        var header = new byte[length];
        await source.ReadAsync(8, header, cancellationToken).ConfigureAwait(false);
        var dataStart = 8 + (long)length;
        var builder = new LayoutBuilder("safetensors", source.Length);
        builder.AddHeaderEnd(dataStart);
        Parse(header, dataStart, builder);
        return builder.Build();
    }

    private static void Parse(ReadOnlySpan<byte> header, long dataStart, LayoutBuilder builder)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject);
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (name == "__metadata__")
                {
                    Next(ref reader);
                    reader.Skip();
                    continue;
                }

                Expect(ref reader, JsonTokenType.StartObject);
                string? dtype = null;
                List<long>? shape = null;
                long begin = -1, end = -1;
                while (Next(ref reader) == JsonTokenType.PropertyName)
                {
                    var field = reader.GetString();
                    switch (field)
                    {
                        case "dtype":
                            Expect(ref reader, JsonTokenType.String);
                            dtype = reader.GetString();
                            break;
                        case "shape":
                            shape = ReadIntegers(ref reader);
                            break;
                        case "data_offsets":
                            var offsets = ReadIntegers(ref reader);
                            if (offsets.Count != 2)
                            {
                                throw new LayoutException($"tensor {name} has {offsets.Count} data offsets, not 2.");
                            }

                            (begin, end) = (offsets[0], offsets[1]);
                            break;
                        default:
                            Next(ref reader);
                            reader.Skip();
                            break;
                    }
                }

                var type = (dtype is null ? null : DType.FromSafetensors(dtype)) ?? throw new LayoutException($"tensor {name} has an unknown dtype {dtype}.");
                if (shape is null || begin < 0 || end < begin)
                {
                    throw new LayoutException($"tensor {name} lacks a shape or valid data offsets.");
                }

                if (Shapes.Bytes(shape, type.Size) != end - begin || end > long.MaxValue - dataStart)
                {
                    throw new LayoutException($"tensor {name} has {end - begin} bytes, which its shape and dtype do not give.");
                }

                builder.AddTensor(name, type.Name, shape, dataStart + begin, end - begin);
                builder.AddRegion(dataStart + begin, end - begin, type.Kind);
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new LayoutException("the header is not one JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw new LayoutException($"the header is not valid JSON ({e.Message}).");
        }
        catch (InvalidOperationException e)
        {
            throw new LayoutException($"the header holds a string that is not valid UTF-8 ({e.Message}).");
        }
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var values = new List<long>();
        while (Next(ref reader) == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out var v) || v < 0 || values.Count >= 64)
            {
                throw new LayoutException("a shape or offset is not a small non-negative integer list.");
            }

            values.Add(v);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new LayoutException("a shape or offset list holds something other than integers.");
        }

        return values;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new LayoutException("the header JSON ends early.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new LayoutException($"the header has {reader.TokenType} where {type} belongs.");
        }
    }
}
