using Lmvp.Store.Codecs;
using Lmvp.Store.Formats;
using Lmvp.Store.Graph;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Formats;

/// <summary>safetensors, GGUF and ONNX files written byte by byte from their specifications: every tensor is found at its bytes.</summary>
[TestFixture]
public sealed class FormatReaderTests
{
    internal static TensorLayout? Read(byte[] file, string name) =>
        Synchronously.Wait(ModelFormats.TryReadAsync(new MemoryRangeSource(file), name, CancellationToken.None));

    [Test]
    public void Safetensors_NamesEveryTensor_WithDtypeShapeAndOffsetOfItsBytes()
    {
        var w = ModelFiles.NormalFloats(64 * 32, 1);
        var b = ModelFiles.ToBFloat16(ModelFiles.NormalFloats(128, 2));
        var steps = BitConverter.GetBytes(42L).Concat(BitConverter.GetBytes(43L)).ToArray();
        var file = ModelFiles.Safetensors(
        [
            new TestTensor("encoder.weight", "F32", [64, 32], w),
            new TestTensor("encoder.bias", "BF16", [128], b),
            new TestTensor("steps", "I64", [2], steps),
        ], metadata: "{\"format\":\"pt\"}");

        var layout = Read(file, "model.safetensors")!;

        layout.Format.Should().Be("safetensors");
        layout.Tensors.Select(t => (t.Name, t.DType, t.ShapeText, t.Parameters)).Should().Equal(
            ("encoder.weight", "float32", "[64, 32]", 2048L), ("encoder.bias", "bfloat16", "[128]", 128L), ("steps", "int64", "[2]", 2L));
        BytesOf(file, layout.Tensors[0]).Should().Equal(w);
        BytesOf(file, layout.Tensors[1]).Should().Equal(b);
        BytesOf(file, layout.Tensors[2]).Should().Equal(steps);
        layout.Regions.Select(r => r.Kind).Should().Equal(ElementKind.Float32, ElementKind.BFloat16, ElementKind.Opaque);
        layout.HeaderEnds.Should().Equal(layout.Tensors[0].Offset);
    }

    [Test]
    public void Gguf_ReadsTensorInfosAndAlignedData_WithGgmlTypeNames([Values(32, 64)] int alignment)
    {
        var f32 = ModelFiles.NormalFloats(256 * 4, 3);
        var f16 = TestData.Random(2 * 100, 4);
        var q8 = TestData.Random(34 * 4 * 3, 5); // 3 rows of 128 values in Q8_0 blocks of 32 values, 34 bytes each
        var file = ModelFiles.Gguf(
        [
            ("token_embd.weight", 0, [256, 4], f32),
            ("output_norm.weight", 1, [100], f16),
            ("blk.0.attn_q.weight", 8, [128, 3], q8),
        ], alignment);

        var layout = Read(file, "model.gguf")!;

        layout.Format.Should().Be("gguf");
        layout.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Should().Equal(
            ("token_embd.weight", "float32", "[4, 256]"), ("output_norm.weight", "float16", "[100]"), ("blk.0.attn_q.weight", "q8_0", "[3, 128]"));
        layout.Tensors.Should().OnlyContain(t => t.Offset % alignment == 0);
        BytesOf(file, layout.Tensors[0]).Should().Equal(f32);
        BytesOf(file, layout.Tensors[1]).Should().Equal(f16);
        BytesOf(file, layout.Tensors[2]).Should().Equal(q8);
        layout.Regions.Select(r => r.Kind).Should().Equal(ElementKind.Float32, ElementKind.Float16, ElementKind.Opaque);
    }

    [Test]
    public void Onnx_FindsEachInitializersRawData_ByItsExtension()
    {
        var weights = ModelFiles.NormalFloats(32 * 16, 6);
        var shape = BitConverter.GetBytes(1L).Concat(BitConverter.GetBytes(16L)).ToArray();
        var file = ModelFiles.Onnx([("fc.weight", 1, [32, 16], weights), ("reshape.shape", 7, [2], shape)]);

        var layout = Read(file, "model.onnx")!;

        layout.Format.Should().Be("onnx");
        layout.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Should().Equal(("fc.weight", "float32", "[32, 16]"), ("reshape.shape", "int64", "[2]"));
        BytesOf(file, layout.Tensors[0]).Should().Equal(weights);
        BytesOf(file, layout.Tensors[1]).Should().Equal(shape);
        Read(file, "model.bin").Should().BeNull("protobuf has no magic number: only a .onnx name says it is ONNX");
    }

    [Test]
    public void PlainFiles_HaveNoLayout()
    {
        Read(TestData.Random(100_000, 7), "weights.bin").Should().BeNull();
        Read("{\"lr\": 0.1, \"layers\": 12}"u8.ToArray().Concat(new byte[100]).ToArray(), "config.json").Should().BeNull();
        Read(new byte[10], "tiny.safetensors").Should().BeNull();
    }

    internal static byte[] BytesOf(byte[] file, TensorInfo tensor) => file.AsSpan((int)tensor.Offset, (int)tensor.Length).ToArray();
}
