using Lmvp.Store.Codecs;

namespace Lmvp.Store.Formats;

/// <summary>GGUF (llama.cpp): a header of key-value metadata and tensor infos (name, dims, ggml type, offset in the data
/// section), then the tensors, each aligned (to <c>general.alignment</c>, 32 by default) from the aligned end of the header.</summary>
/// <remarks>Quantized types are stored blocks of scales and packed integers, not floats: their chunks get plain zstd trials only.</remarks>
internal static class GgufReader
{
    private const int MaxDims = 8;
    private const long MaxHeader = 64L << 20;
    private const int FirstPrefix = 1 << 20;

    public static bool Sniff(ReadOnlySpan<byte> first) => first.Length >= 4 && first[..4].SequenceEqual("GGUF"u8);

    public static async ValueTask<TensorLayout> ReadAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var size = (int)Math.Min(source.Length, FirstPrefix);
        while (true)
        {
            var prefix = new byte[size];
            await source.ReadAsync(0, prefix, cancellationToken).ConfigureAwait(false);
            try
            {
                return Parse(prefix, size < source.Length, source.Length);
            }
            catch (PrefixTooShortException) when (size < Math.Min(source.Length, MaxHeader))
            {
                size = (int)Math.Min(Math.Min(source.Length, MaxHeader), (long)size * 4);
            }
            catch (PrefixTooShortException)
            {
                throw new LayoutException($"the header is larger than {MaxHeader >> 20} MiB.");
            }
        }
    }

    private static TensorLayout Parse(ReadOnlySpan<byte> bytes, bool isPrefix, long fileLength)
    {
        var r = new HeaderReader(bytes, isPrefix);
        r.Take(4);
        var version = r.U32();
        if (version is not (2 or 3))
        {
            throw new LayoutException($"GGUF version {version} is not supported.");
        }

        var tensorCount = r.Count(r.U64(), 8 + 4 + 4 + 8);
        var kvCount = r.Count(r.U64(), 8 + 4);
        long alignment = 32;
        for (long i = 0; i < kvCount; i++)
        {
            var key = String(ref r);
            var type = r.U32();
            if (key == "general.alignment" && type == 4)
            {
                alignment = r.U32();
                if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1 << 20))
                {
                    throw new LayoutException($"general.alignment {alignment} is not a power of two up to 1 MiB.");
                }

                continue;
            }

            SkipValue(ref r, type, depth: 0);
        }

        if (tensorCount > LayoutBuilder.MaxTensors)
        {
            throw new LayoutException($"{tensorCount} tensors is more than {LayoutBuilder.MaxTensors}.");
        }

        var infos = new List<(string Name, long[] Dims, uint Type, long Offset)>((int)tensorCount);
        for (long i = 0; i < tensorCount; i++)
        {
            var name = String(ref r);
            var dimCount = r.U32();
            if (dimCount > MaxDims)
            {
                throw new LayoutException($"tensor {name} has {dimCount} dimensions.");
            }

            var dims = new long[dimCount];
            for (var d = 0; d < dimCount; d++)
            {
                var n = r.U64();
                dims[d] = n <= long.MaxValue ? (long)n : throw new LayoutException($"tensor {name} has a dimension of {n}.");
            }

            var type = r.U32();
            var offset = r.U64();
            if (offset > long.MaxValue / 2 || offset % (ulong)alignment != 0)
            {
                throw new LayoutException($"tensor {name} has a bad data offset {offset}.");
            }

            infos.Add((name, dims, type, (long)offset));
        }

        var dataStart = (r.Position + alignment - 1) / alignment * alignment;
        var builder = new LayoutBuilder("gguf", fileLength);
        builder.AddHeaderEnd(Math.Min(dataStart, fileLength));
        var byOffset = infos.Select(t => t.Offset).Order().ToArray();
        foreach (var (name, dims, type, relative) in infos)
        {
            var offset = dataStart + relative;
            var next = Array.BinarySearch(byOffset, relative) is var at && at + 1 < byOffset.Length ? dataStart + byOffset[at + 1] : fileLength;
            var gap = next - offset;
            // GGUF lists dimensions innermost first; people (and torch) write them outermost first.
            var shape = Enumerable.Reverse(dims).ToArray();
            var (typeName, length, kind) = Describe(type, dims, gap);
            builder.AddTensor(name, typeName, shape, offset, length);
            builder.AddRegion(offset, length, kind);
        }

        return builder.Build();
    }

    /// <summary>A tensor's type name, byte length and element kind; an unknown type, or a size its slot cannot hold, takes the slot.</summary>
    private static (string Name, long Length, ElementKind Kind) Describe(uint type, long[] dims, long gap)
    {
        var (name, block, bytes) = type switch
        {
            0 => ("float32", 1, 4),
            1 => ("float16", 1, 2),
            2 => ("q4_0", 32, 18),
            3 => ("q4_1", 32, 20),
            6 => ("q5_0", 32, 22),
            7 => ("q5_1", 32, 24),
            8 => ("q8_0", 32, 34),
            9 => ("q8_1", 32, 36),
            10 => ("q2_k", 256, 84),
            11 => ("q3_k", 256, 110),
            12 => ("q4_k", 256, 144),
            13 => ("q5_k", 256, 176),
            14 => ("q6_k", 256, 210),
            15 => ("q8_k", 256, 292),
            16 => ("iq2_xxs", 256, 66),
            17 => ("iq2_xs", 256, 74),
            18 => ("iq3_xxs", 256, 98),
            19 => ("iq1_s", 256, 50),
            20 => ("iq4_nl", 32, 18),
            21 => ("iq3_s", 256, 110),
            22 => ("iq2_s", 256, 82),
            23 => ("iq4_xs", 256, 136),
            24 => ("int8", 1, 1),
            25 => ("int16", 1, 2),
            26 => ("int32", 1, 4),
            27 => ("int64", 1, 8),
            28 => ("float64", 1, 8),
            29 => ("iq1_m", 256, 56),
            30 => ("bfloat16", 1, 2),
            _ => ($"ggml_type_{type}", 0, 0),
        };
        var kind = type switch
        {
            0 => ElementKind.Float32,
            1 => ElementKind.Float16,
            30 => ElementKind.BFloat16,
            _ => ElementKind.Opaque,
        };
        long? length = null;
        if (block > 0 && Shapes.Count(dims) is { } count && (dims.Length == 0 || dims[0] % block == 0))
        {
            var blocks = count / block;
            length = blocks <= long.MaxValue / bytes ? blocks * bytes : null;
        }

        if (length is not { } l || l > gap)
        {
            return (name, Math.Max(gap, 0), ElementKind.Opaque);
        }

        return (name, l, kind);
    }

    private static string String(ref HeaderReader r)
    {
        var length = r.U64();
        if (length > 1 << 20)
        {
            throw new LayoutException($"a string of {length} bytes.");
        }

        return HeaderReader.Utf8(r.Take((long)length));
    }

    private static void SkipValue(ref HeaderReader r, uint type, int depth)
    {
        switch (type)
        {
            case 0 or 1 or 7:
                r.Take(1);
                break;
            case 2 or 3:
                r.Take(2);
                break;
            case 4 or 5 or 6:
                r.Take(4);
                break;
            case 10 or 11 or 12:
                r.Take(8);
                break;
            case 8:
                var length = r.U64();
                r.Take(length > int.MaxValue ? long.MaxValue : (long)length);
                break;
            case 9:
                if (depth > 2)
                {
                    throw new LayoutException("arrays nest too deep.");
                }

                var itemType = r.U32();
                var count = r.Count(r.U64(), 1);
                var fixedSize = itemType switch
                {
                    0 or 1 or 7 => 1,
                    2 or 3 => 2,
                    4 or 5 or 6 => 4,
                    10 or 11 or 12 => 8,
                    _ => 0,
                };
                if (fixedSize > 0)
                {
                    r.Take(count * fixedSize);
                    break;
                }

                for (long i = 0; i < count; i++)
                {
                    SkipValue(ref r, itemType, depth + 1);
                }

                break;
            default:
                throw new LayoutException($"unknown metadata value type {type}.");
        }
    }
}
