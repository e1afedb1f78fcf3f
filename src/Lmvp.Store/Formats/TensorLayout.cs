using Lmvp.Store.Codecs;

namespace Lmvp.Store.Formats;

/// <summary>One named tensor of a model file, as its format's header describes it.</summary>
/// <param name="Name">The tensor's name (nested containers joined with dots: <c>optimizer.state.0.exp_avg</c>).</param>
/// <param name="DType">Its element type in torch's spelling (<c>float32</c>, <c>bfloat16</c>, <c>int64</c>), or a GGUF
/// quantization (<c>q4_k</c>).</param>
/// <param name="Shape">Its dimensions, outermost first (empty for a scalar).</param>
/// <param name="Offset">Where its bytes start in the file.</param>
/// <param name="Length">How many bytes it occupies.</param>
public sealed record TensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Offset, long Length)
{
    /// <summary>The number of values (the product of the shape; 1 for a scalar).</summary>
    public long Parameters => Formats.Shapes.Count(Shape) ?? 0;

    /// <summary>The shape as people write it: <c>[4096, 1024]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>A contiguous run of a file's bytes that holds values of one element kind (a tensor, a storage): the unit that
/// chunk boundaries follow and fixed-size pieces are cut from.</summary>
internal readonly record struct DataRegion(long Offset, long Length, ElementKind Kind)
{
    public long End => Offset + Length;
}

/// <summary>What a format reader found in a model file: its tensors, and the regions and header ends chunking cuts at.</summary>
public sealed class TensorLayout
{
    internal TensorLayout(string format, IReadOnlyList<TensorInfo> tensors, IReadOnlyList<DataRegion> regions, IReadOnlyList<long> headerEnds)
    {
        Format = format;
        Tensors = tensors;
        Regions = regions;
        HeaderEnds = headerEnds;
    }

    /// <summary>The format: <c>safetensors</c>, <c>pytorch</c> (a torch.save zip), <c>onnx</c> or <c>gguf</c>.</summary>
    public string Format { get; }

    /// <summary>The tensors in file order (by offset, then name).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The number of values in all tensors.</summary>
    public long Parameters => Tensors.Sum(t => t.Parameters);

    /// <summary>The bytes all tensors occupy.</summary>
    public long TensorBytes => Tensors.Sum(t => t.Length);

    /// <summary>Data regions by offset, none overlapping another.</summary>
    internal IReadOnlyList<DataRegion> Regions { get; }

    /// <summary>Offsets where a header ends (and a cut is made), ascending.</summary>
    internal IReadOnlyList<long> HeaderEnds { get; }
}

/// <summary>Arithmetic on shapes that never overflows silently.</summary>
internal static class Shapes
{
    /// <summary>The product of the dimensions, or null when one is negative or the product passes 2^62.</summary>
    public static long? Count(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0 || (d != 0 && count > (1L << 62) / d))
            {
                return null;
            }

            count *= d;
        }

        return count;
    }

    /// <summary>The bytes of <paramref name="shape"/> values of <paramref name="elementSize"/> bytes, or null on overflow.</summary>
    public static long? Bytes(IReadOnlyList<long> shape, int elementSize) =>
        Count(shape) is { } n && n <= (1L << 62) / Math.Max(elementSize, 1) ? n * elementSize : null;
}
