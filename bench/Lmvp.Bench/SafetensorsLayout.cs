using System.Buffers.Binary;
using System.Text;

namespace Lmvp.Bench;

/// <summary>One tensor of a synthetic checkpoint: its name and where its bytes sit in the file.</summary>
internal sealed record TensorSlot(string Name, long Offset, long Length);

/// <summary>A safetensors-like checkpoint: an 8-byte header length, a JSON header, then tensors back to back.</summary>
/// <remarks>
/// The header is padded with spaces to a fixed 64 KiB region (safetensors allows trailing whitespace), so tensor
/// offsets do not depend on how long the JSON is. Tensors are float32 matrices of 1024 columns whose sizes vary
/// between 2 MiB and tens of MiB, like the layers of a transformer.
/// </remarks>
internal sealed class SafetensorsLayout
{
    /// <summary>Bytes reserved for the length prefix and the JSON header.</summary>
    public const int HeaderRegion = 64 * 1024;

    private const int RowBytes = 1024 * sizeof(float);
    private const long MinTensor = 2L * 1024 * 1024;
    private const long MaxTensor = 40L * 1024 * 1024;

    private SafetensorsLayout(long fileLength, IReadOnlyList<TensorSlot> tensors, byte[] header)
    {
        FileLength = fileLength;
        Tensors = tensors;
        Header = header;
    }

    /// <summary>The whole file's size.</summary>
    public long FileLength { get; }

    /// <summary>Tensors in file order, with absolute offsets.</summary>
    public IReadOnlyList<TensorSlot> Tensors { get; }

    /// <summary>The first <see cref="HeaderRegion"/> bytes of the file.</summary>
    public byte[] Header { get; }

    /// <summary>Lays out tensors to fill a file of about <paramref name="fileLength"/> bytes.</summary>
    public static SafetensorsLayout Create(long fileLength, int seed)
    {
        var random = new Random(seed);
        var dataLength = (fileLength - HeaderRegion) / RowBytes * RowBytes;
        // Small runs keep tens of tensors so that "5% of them" is still a set of whole tensors.
        var maxTensor = Math.Clamp(dataLength / 50 / RowBytes * RowBytes, MinTensor, MaxTensor);
        var sizes = new List<long>();
        long used = 0;
        while (used < dataLength)
        {
            var rows = random.NextInt64(MinTensor / RowBytes, (maxTensor / RowBytes) + 1);
            var size = Math.Min(rows * RowBytes, dataLength - used);
            if (size < MinTensor && sizes.Count > 0)
            {
                sizes[^1] += size;
            }
            else
            {
                sizes.Add(size);
            }

            used += size;
        }

        var tensors = new List<TensorSlot>(sizes.Count);
        var json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            var name = $"model.layers.{i / 4}.{(i % 4) switch { 0 => "self_attn.qkv_proj", 1 => "self_attn.o_proj", 2 => "mlp.up_proj", _ => "mlp.down_proj" }}.weight";
            tensors.Add(new TensorSlot(name, HeaderRegion + offset, sizes[i]));
            json.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{sizes[i] / RowBytes},1024],\"data_offsets\":[{offset},{offset + sizes[i]}]}}");
            offset += sizes[i];
        }

        json.Append('}');
        var header = new byte[HeaderRegion];
        var jsonBytes = Encoding.UTF8.GetBytes(json.ToString());
        if (jsonBytes.Length > HeaderRegion - sizeof(long))
        {
            throw new InvalidOperationException($"The header of {sizes.Count} tensors does not fit {HeaderRegion} bytes.");
        }

        BinaryPrimitives.WriteInt64LittleEndian(header, HeaderRegion - sizeof(long));
        header.AsSpan(sizeof(long)).Fill((byte)' ');
        jsonBytes.CopyTo(header, sizeof(long));
        return new SafetensorsLayout(HeaderRegion + offset, tensors, header);
    }

    /// <summary>Writes the header and every tensor.</summary>
    public void Write(string path, ulong seed)
    {
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        RandomAccess.SetLength(handle, FileLength);
        RandomAccess.Write(handle, Header, 0);
        for (var i = 0; i < Tensors.Count; i++)
        {
            WeightData.WriteRegion(handle, Tensors[i].Offset, Tensors[i].Length, seed + (ulong)i);
        }
    }

    /// <summary>Picks whole tensors at random until they add up to at most <paramref name="fraction"/> of the file.</summary>
    public IReadOnlyList<TensorSlot> PickForRewrite(double fraction, int seed)
    {
        var budget = (long)(FileLength * fraction);
        var order = Tensors.ToArray();
        new Random(seed).Shuffle(order);
        var picked = new List<TensorSlot>();
        long total = 0;
        foreach (var t in order)
        {
            if (total + t.Length <= budget)
            {
                picked.Add(t);
                total += t.Length;
            }
        }

        return picked.OrderBy(t => t.Offset).ToList();
    }

    /// <summary>Overwrites the given tensors in place with new weights, as a fine-tune of a few layers does.</summary>
    public static void Rewrite(string path, IEnumerable<TensorSlot> tensors, ulong seed)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        var i = 0UL;
        foreach (var t in tensors)
        {
            WeightData.WriteRegion(handle, t.Offset, t.Length, seed + i++);
        }
    }
}
