using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

/// <summary><c>lmvp show REV -- PATH --tensors</c>, <c>lmvp diff A B --tensors</c> and <c>lmvp commit --json</c> on model files.</summary>
[TestFixture]
public sealed class TensorCommandTests
{
    private static byte[] Safetensors(byte[] bias) => ModelFiles.Safetensors(
    [
        new TestTensor("encoder.weight", "F32", [128, 64], ModelFiles.NormalFloats(128 * 64, 1)),
        new TestTensor("encoder.bias", "F32", [64], bias),
        new TestTensor("embed", "BF16", [256, 64], ModelFiles.ToBFloat16(ModelFiles.NormalFloats(256 * 64, 2))),
    ]);

    [Test]
    public async Task ShowTensors_PrintsTheTableWithParameterCounts_ForEveryFormat()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.safetensors", Safetensors(ModelFiles.NormalFloats(64, 3)));
        repo.Write("model.gguf", ModelFiles.Gguf([("token_embd.weight", 0, [64, 32], ModelFiles.NormalFloats(64 * 32, 4)), ("blk.0.ffn.weight", 8, [64, 4], new byte[34 * 8])]));
        repo.Write("model.onnx", ModelFiles.Onnx([("fc.weight", 1, [16, 8], ModelFiles.NormalFloats(128, 5))]));
        repo.Write("notes.txt", "not a model");
        await repo.CommitAsync("epoch 1");

        var table = await repo.RunOkAsync("show", "HEAD", "--", "model.safetensors", "--tensors");
        table.OutLines[0].Should().Be("model.safetensors: safetensors, 3 tensors, 24,640 parameters in 64.3 KiB");
        table.OutLines[1].Should().MatchRegex(@"^  name\s+dtype\s+shape\s+parameters\s+bytes$");
        table.OutLines[2].Should().MatchRegex(@"^  encoder\.weight\s+float32\s+\[128, 64\]\s+8,192\s+32\.0 KiB$");
        table.OutLines[4].Should().MatchRegex(@"^  embed\s+bfloat16\s+\[256, 64\]\s+16,384\s+32\.0 KiB$");

        var all = await repo.RunOkAsync("show", "--tensors");
        all.Out.Should().Contain("model.gguf: gguf, 2 tensors").And.Contain("q8_0").And.Contain("model.onnx: onnx, 1 tensor,").And.NotContain("notes.txt");

        var json = JsonDocument.Parse((await repo.RunOkAsync("show", "HEAD", "--tensors", "--json", "--", "model.onnx")).Out).RootElement;
        var file = json.GetProperty("files").EnumerateArray().Should().ContainSingle().Subject;
        file.GetProperty("format").GetString().Should().Be("onnx");
        file.GetProperty("tensors")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(16, 8);

        var info = await repo.RunOkAsync("show", "HEAD", "--", "notes.txt", "model.gguf");
        info.OutLines.Should().HaveCount(2);
        info.OutLines[0].Should().StartWith("notes.txt: 11 B, file ");
        info.OutLines[1].Should().EndWith("gguf with 2 tensors (2,304 parameters)");

        var missing = await repo.RunAsync("show", "HEAD", "--", "nope.pt", "--tensors");
        missing.ExitCode.Should().Be(1);
        missing.Error.Should().Contain("Path 'nope.pt' is not a file in commit");
    }

    [Test]
    public async Task DiffTensors_ListsChangedAddedAndRemovedTensors_AndJsonCarriesEveryOne()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.safetensors", Safetensors(ModelFiles.NormalFloats(64, 3)));
        await repo.CommitAsync("epoch 1");
        repo.Write("model.safetensors", Safetensors(ModelFiles.NormalFloats(64, 4)));
        await repo.CommitAsync("epoch 2");

        var diff = await repo.RunOkAsync("diff", "HEAD~1", "HEAD", "--tensors");
        diff.Out.Should().Contain("tensors   model.safetensors (safetensors): 1 changed, 2 unchanged, 0 added, 0 removed; 256 B differ");
        diff.OutLines.Should().Contain(l => l.StartsWith("  changed   encoder.bias  float32  [64]  256 B differ", StringComparison.Ordinal));
        diff.OutLines.Should().NotContain(l => l.Contains("encoder.weight", StringComparison.Ordinal), "unchanged tensors are counted, not listed");

        var json = JsonDocument.Parse((await repo.RunOkAsync("diff", "HEAD~1", "HEAD", "--tensors", "--json")).Out).RootElement;
        var file = json.GetProperty("tensors").EnumerateArray().Should().ContainSingle().Subject;
        file.GetProperty("summary").GetProperty("unchanged").GetInt32().Should().Be(2);
        file.GetProperty("tensors").EnumerateArray().Select(t => (t.GetProperty("name").GetString(), t.GetProperty("change").GetString()))
            .Should().Equal(("encoder.weight", "unchanged"), ("encoder.bias", "changed"), ("embed", "unchanged"));

        // Against the working tree, before any commit of the change.
        repo.Write("model.safetensors", ModelFiles.Safetensors([new TestTensor("encoder.bias", "F32", [32], ModelFiles.NormalFloats(32, 9))]));
        var working = await repo.RunOkAsync("diff", "--tensors");
        working.OutLines.Should().Contain(l => l.StartsWith("  removed   encoder.weight", StringComparison.Ordinal));
        working.OutLines.Should().Contain(l => l.Contains("encoder.bias", StringComparison.Ordinal) && l.Contains("[64] -> [32]", StringComparison.Ordinal));
        (await repo.RunOkAsync("diff", "HEAD~1", "HEAD")).OutLines.Should().NotContain(l => l.StartsWith("tensors", StringComparison.Ordinal), "tensors only when asked");
    }

    [Test]
    public async Task CommitJson_CarriesTheByteAccounting()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.safetensors", Safetensors(ModelFiles.NormalFloats(64, 3)));
        var first = JsonDocument.Parse((await repo.RunOkAsync("commit", "-m", "epoch 1", "--json", "--author", CliRepository.Author)).Out).RootElement;
        var size = new FileInfo(repo.PathOf("model.safetensors")).Length;
        first.GetProperty("commit").GetString().Should().Be(repo.Head().ToString());
        first.GetProperty("bytesScanned").GetInt64().Should().Be(size);
        first.GetProperty("bytesNew").GetInt64().Should().Be(size);
        first.GetProperty("bytesStored").GetInt64().Should().BeLessThan(size);

        repo.Write("model.safetensors", Safetensors(ModelFiles.NormalFloats(64, 4)));
        var second = JsonDocument.Parse((await repo.RunOkAsync("commit", "-m", "epoch 2", "--json", "--author", CliRepository.Author)).Out).RootElement;
        second.GetProperty("bytesNew").GetInt64().Should().BeLessThan(2048, "only the bias (256 B) and the header's chunk changed");
    }
}
