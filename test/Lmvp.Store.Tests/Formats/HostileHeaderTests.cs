using System.Buffers.Binary;
using System.Text;
using Lmvp.Store.Formats;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Formats;

/// <summary>A hostile or broken header (lengths past the end, huge shapes, overlapping or bad offsets, deep pickles) gives no
/// layout, never an exception: the file is then chunked as plain bytes.</summary>
[TestFixture]
public sealed class HostileHeaderTests
{
    private static TensorLayout? Read(byte[] file, string name) => FormatReaderTests.Read(file, name);

    private static byte[] Safetensors(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", TestName = "Safetensors_OverlappingTensors")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1600000]}}", TestName = "Safetensors_OffsetsPastTheEnd")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],\"data_offsets\":[0,16]}}", TestName = "Safetensors_HugeShape")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", TestName = "Safetensors_ShapeAndLengthDisagree")]
    [TestCase("{\"a\":{\"dtype\":\"F99\",\"shape\":[4],\"data_offsets\":[0,16]}}", TestName = "Safetensors_UnknownDtype")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", TestName = "Safetensors_NegativeDimension")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", TestName = "Safetensors_BackwardsOffsets")]
    [TestCase("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", TestName = "Safetensors_DeepJson")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}", TestName = "Safetensors_TruncatedJson")]
    public void Safetensors_HostileHeader_HasNoLayout(string json)
    {
        Read(Safetensors(json, 64), "model.safetensors").Should().BeNull();
    }

    [Test]
    public void Safetensors_HeaderLengthPastTheEnd_HasNoLayout()
    {
        var file = Safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 64);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1UL << 40);
        Read(file, "model.safetensors").Should().BeNull();
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        Read(file, "model.safetensors").Should().BeNull();
    }

    [Test]
    public void Gguf_HostileCountsLengthsAndOffsets_HaveNoLayout()
    {
        var valid = ModelFiles.Gguf([("w", 0, [64], ModelFiles.NormalFloats(64, 1))]);
        Read(valid, "m.gguf").Should().NotBeNull();
        var tensorCountAt = 8;
        var cases = new Dictionary<string, byte[]>
        {
            ["huge tensor count"] = Patch(valid, tensorCountAt, ulong.MaxValue),
            ["huge metadata count"] = Patch(valid, tensorCountAt + 8, 1UL << 50),
            ["huge key length"] = Patch(valid, 24, 1UL << 60),
            ["version 1"] = Patch32(valid, 4, 1),
            ["truncated"] = valid[..60],
        };
        var infoAt = IndexOf(valid, "w"u8, 60) - 8;
        cases["huge dimension"] = Patch(valid, infoAt + 8 + 1 + 4, ulong.MaxValue);
        cases["unaligned offset"] = Patch(valid, infoAt + 8 + 1 + 4 + 8 + 4, 3);
        cases["offset past the end"] = Patch(valid, infoAt + 8 + 1 + 4 + 8 + 4, 1UL << 40);
        foreach (var (what, file) in cases)
        {
            var act = () => Read(file, "m.gguf");
            act.Should().NotThrow(what);
            var layout = act();
            if (layout is not null)
            {
                layout.Tensors.Where(t => t.Offset + t.Length > file.Length).Should().BeEmpty(what);
            }
        }

        Read(cases["huge tensor count"], "m.gguf").Should().BeNull();
        Read(cases["huge dimension"], "m.gguf").Should().BeNull();
        Read(cases["unaligned offset"], "m.gguf").Should().BeNull();
        Read(cases["offset past the end"], "m.gguf").Should().BeNull();
    }

    [Test]
    public void Onnx_LengthsPastTheirMessage_HaveNoLayout()
    {
        var valid = ModelFiles.Onnx([("w", 1, [16], ModelFiles.NormalFloats(16, 2))]);
        Read(valid, "m.onnx").Should().NotBeNull();
        Read(valid[..^5], "m.onnx").Should().BeNull("truncated");
        var wrongDims = ModelFiles.Onnx([("w", 1, [17], ModelFiles.NormalFloats(16, 2))]);
        Read(wrongDims, "m.onnx").Should().BeNull("dims that do not match the raw data");
        var graphAt = Array.IndexOf(valid, (byte)((7 << 3) | 2));
        var pastEnd = valid.ToArray();
        pastEnd[graphAt + 1] = 0x7F; // the graph's length now runs past the model
        Read(pastEnd, "m.onnx").Should().BeNull();
    }

    [Test]
    public void EveryMutationOfAValidHeader_ReadsWithoutThrowing_AndStaysInsideTheFile()
    {
        var files = new (string Name, byte[] Bytes)[]
        {
            ("m.safetensors", ModelFiles.Safetensors([new TestTensor("a", "F32", [16], ModelFiles.NormalFloats(16, 1)), new TestTensor("b", "BF16", [8], new byte[16])])),
            ("m.gguf", ModelFiles.Gguf([("a", 0, [16], ModelFiles.NormalFloats(16, 2)), ("b", 8, [32], new byte[34])])),
            ("m.onnx", ModelFiles.Onnx([("a", 1, [16], ModelFiles.NormalFloats(16, 3)), ("b", 7, [2], new byte[16])])),
        };
        var random = new Random(9);
        foreach (var (name, bytes) in files)
        {
            for (var i = 0; i < 3000; i++)
            {
                var mutated = bytes.ToArray();
                var headerEnd = Math.Min(bytes.Length, 400);
                for (var k = random.Next(1, 4); k > 0; k--)
                {
                    mutated[random.Next(headerEnd)] = (byte)random.Next(256);
                }

                if (random.Next(10) == 0)
                {
                    mutated = mutated[..random.Next(mutated.Length)];
                }

                var layout = Read(mutated, name);
                layout?.Tensors.Where(t => t.Offset < 0 || t.Length < 0 || t.Offset + t.Length > mutated.Length).Should().BeEmpty(name);
                layout?.Regions.Where(r => r.Offset < 0 || r.End > mutated.Length).Should().BeEmpty(name);
            }
        }
    }

    private static byte[] Patch(byte[] file, int at, ulong value)
    {
        var copy = file.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] Patch32(byte[] file, int at, uint value)
    {
        var copy = file.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static int IndexOf(byte[] file, ReadOnlySpan<byte> what, int from) => from + file.AsSpan(from).IndexOf(what);
}
