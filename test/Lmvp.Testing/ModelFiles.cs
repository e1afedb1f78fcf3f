using System.Buffers.Binary;
using System.Text;

namespace Lmvp.Testing;

/// <summary>One tensor to write into a test model file: its name, dtype (safetensors spelling: F32, BF16, ...), shape and bytes.</summary>
public sealed record TestTensor(string Name, string DType, long[] Shape, byte[] Data);

/// <summary>Model files written byte by byte from their specifications (safetensors, GGUF, ONNX), and float data like real weights.</summary>
public static class ModelFiles
{
    /// <summary>Little-endian float32 values drawn from N(0, <paramref name="sigma"/>), as initialized weights are.</summary>
    public static byte[] NormalFloats(int count, int seed, double sigma = 0.02)
    {
        var random = new Random(seed);
        var bytes = new byte[count * 4];
        for (var i = 0; i < count; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var value = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), value);
        }

        return bytes;
    }

    /// <summary>The bfloat16 form of float32 bytes: the upper two bytes of each value.</summary>
    public static byte[] ToBFloat16(byte[] float32)
    {
        var result = new byte[float32.Length / 2];
        for (var i = 0; i < float32.Length / 4; i++)
        {
            result[2 * i] = float32[(4 * i) + 2];
            result[(2 * i) + 1] = float32[(4 * i) + 3];
        }

        return result;
    }

    /// <summary>A safetensors file: u64 header length, the JSON header (padded with spaces to 8 bytes), the tensors in order.</summary>
    public static byte[] Safetensors(IReadOnlyList<TestTensor> tensors, string? metadata = null)
    {
        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            json.Append("\"__metadata__\":").Append(metadata).Append(',');
        }

        long offset = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            json.Append(i == 0 ? "" : ",").Append('"').Append(t.Name).Append("\":{\"dtype\":\"").Append(t.DType).Append("\",\"shape\":[")
                .Append(string.Join(',', t.Shape)).Append("],\"data_offsets\":[").Append(offset).Append(',').Append(offset + t.Data.Length).Append("]}");
            offset += t.Data.Length;
        }

        json.Append('}');
        while ((json.Length % 8) != 0)
        {
            json.Append(' ');
        }

        var header = Encoding.UTF8.GetBytes(json.ToString());
        using var output = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        output.Write(length);
        output.Write(header);
        foreach (var t in tensors)
        {
            output.Write(t.Data);
        }

        return output.ToArray();
    }

    /// <summary>A GGUF version 3 file: header, metadata, tensor infos, then each tensor aligned to <paramref name="alignment"/>.</summary>
    /// <param name="tensors">Name, ggml type (0 F32, 1 F16, 8 Q8_0, 30 BF16, ...), dims innermost first (as GGUF stores them), bytes.</param>
    /// <param name="alignment">The data alignment; written as general.alignment unless it is the default 32.</param>
    public static byte[] Gguf(IReadOnlyList<(string Name, uint Type, long[] Dims, byte[] Data)> tensors, int alignment = 32)
    {
        using var output = new MemoryStream();
        var w = new BinaryWriter(output);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write(alignment == 32 ? 2ul : 3ul);
        GgufString(w, "general.architecture");
        w.Write(8u);
        GgufString(w, "llama");
        GgufString(w, "tokenizer.ggml.tokens");
        w.Write(9u);
        w.Write(8u);
        w.Write(3ul);
        foreach (var token in new[] { "<s>", "</s>", "hello" })
        {
            GgufString(w, token);
        }

        if (alignment != 32)
        {
            GgufString(w, "general.alignment");
            w.Write(4u);
            w.Write((uint)alignment);
        }

        long offset = 0;
        var offsets = new List<long>();
        foreach (var (name, type, dims, data) in tensors)
        {
            GgufString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write((ulong)d);
            }

            w.Write(type);
            w.Write((ulong)offset);
            offsets.Add(offset);
            offset += (data.Length + alignment - 1) / alignment * alignment;
        }

        w.Flush();
        Pad(output, alignment);
        var start = output.Position;
        for (var i = 0; i < tensors.Count; i++)
        {
            output.Position = start + offsets[i];
            output.Write(tensors[i].Data);
        }

        Pad(output, alignment);
        return output.ToArray();
    }

    /// <summary>An ONNX ModelProto (protobuf) whose graph holds these initializers, each with raw_data.</summary>
    /// <param name="initializers">Name, TensorProto data type (1 FLOAT, 10 FLOAT16, 16 BFLOAT16, 7 INT64), dims, raw bytes.</param>
    public static byte[] Onnx(IReadOnlyList<(string Name, int DataType, long[] Dims, byte[] RawData)> initializers)
    {
        var graph = new MemoryStream();
        Field(graph, 2, Encoding.UTF8.GetBytes("test-graph"));
        foreach (var (name, type, dims, raw) in initializers)
        {
            var tensor = new MemoryStream();
            foreach (var d in dims)
            {
                Varint(tensor, (1 << 3) | 0);
                Varint(tensor, (ulong)d);
            }

            Varint(tensor, (2 << 3) | 0);
            Varint(tensor, (ulong)type);
            Field(tensor, 8, Encoding.UTF8.GetBytes(name));
            Field(tensor, 9, raw);
            Field(graph, 5, tensor.ToArray());
        }

        var model = new MemoryStream();
        Varint(model, (1 << 3) | 0);
        Varint(model, 8);
        Field(model, 2, Encoding.UTF8.GetBytes("lmvp-tests"));
        Field(model, 7, graph.ToArray());
        var opset = new MemoryStream();
        Varint(opset, (2 << 3) | 0);
        Varint(opset, 17);
        Field(model, 8, opset.ToArray());
        return model.ToArray();
    }

    private static void GgufString(BinaryWriter w, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void Pad(Stream output, int alignment)
    {
        while (output.Length % alignment != 0)
        {
            output.Position = output.Length;
            output.WriteByte(0);
        }

        output.Position = output.Length;
    }

    private static void Field(Stream output, int number, byte[] bytes)
    {
        Varint(output, ((ulong)number << 3) | 2);
        Varint(output, (ulong)bytes.Length);
        output.Write(bytes);
    }

    private static void Varint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        output.WriteByte((byte)value);
    }
}
