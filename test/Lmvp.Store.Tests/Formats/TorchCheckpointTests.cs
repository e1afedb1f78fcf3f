using System.Text;
using Lmvp.Store.Chunking;
using Lmvp.Store.Codecs;
using Lmvp.Store.Formats;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Formats;

/// <summary>Checkpoints written by a real <c>torch.save</c> (Debian's python3-torch) during the test: state dicts, nested
/// optimizer state, shared storages, bfloat16, and a pickle that would run a command if it were executed.</summary>
[TestFixture]
public sealed class TorchCheckpointTests
{
    private TempDirectory _dir = null!;

    [OneTimeSetUp]
    public void WriteCheckpoints()
    {
        _dir = new TempDirectory("torch");
        Torch.Run(_dir.Path, """
            import os, pickle
            embed = torch.randn(512, 64)
            sd = {
                "embed.weight": embed,
                "layers.0.weight": torch.randn(256, 64),
                "layers.0.bias": torch.zeros(256),
                "norm.weight": torch.ones(64).to(torch.bfloat16),
                "steps": torch.tensor(7),
                "embed.row3": embed[3],
            }
            torch.save(sd, "model.pt")
            for name, t in sd.items():
                t = t.contiguous()
                raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
                open(name + ".bin", "wb").write(raw)
            model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 8))
            opt = torch.optim.Adam(model.parameters())
            model(torch.randn(4, 64)).sum().backward()
            opt.step()
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "checkpoint.pt")

            class Evil:
                def __reduce__(self):
                    return (os.system, ("touch PWNED",))
            torch.save({"w": torch.randn(16), "evil": Evil()}, "evil.pt")
            torch.save(torch.randn(8, 8), "bare.pt")
            """);
    }

    [OneTimeTearDown]
    public void Delete() => _dir.Dispose();

    private TensorLayout? Read(string name)
    {
        using var stream = File.OpenRead(_dir.Combine(name));
        return FileChunker.ReadLayout(stream, name, CancellationToken.None);
    }

    [Test]
    public void StateDict_EveryTensorIsFoundAtItsBytes_WithTorchDtypesAndShapes()
    {
        var layout = Read("model.pt")!;
        var file = File.ReadAllBytes(_dir.Combine("model.pt"));

        layout.Format.Should().Be("pytorch");
        layout.Tensors.Select(t => t.Name).Should().BeEquivalentTo("embed.weight", "layers.0.weight", "layers.0.bias", "norm.weight", "steps", "embed.row3");
        var byName = layout.Tensors.ToDictionary(t => t.Name);
        byName["embed.weight"].Should().Match<TensorInfo>(t => t.DType == "float32" && t.ShapeText == "[512, 64]" && t.Parameters == 512 * 64);
        byName["norm.weight"].DType.Should().Be("bfloat16");
        byName["steps"].Should().Match<TensorInfo>(t => t.DType == "int64" && t.ShapeText == "[]" && t.Parameters == 1);
        foreach (var t in layout.Tensors)
        {
            FormatReaderTests.BytesOf(file, t).Should().Equal(File.ReadAllBytes(_dir.Combine(t.Name + ".bin")), t.Name);
        }

        byName["embed.row3"].Offset.Should().Be(byName["embed.weight"].Offset + (3 * 64 * 4), "a view lies inside the storage it shares");
        layout.Regions.Should().HaveCount(5, "five storages: the view shares embed.weight's");
        layout.Regions.Should().Contain(r => r.Offset == byName["norm.weight"].Offset && r.Kind == ElementKind.BFloat16);
        layout.Regions.Should().OnlyContain(r => r.Offset % 64 == 0, "torch.save aligns every storage to 64 bytes");
    }

    [Test]
    public void Checkpoint_NestedOptimizerState_IsNamedByItsPath()
    {
        var layout = Read("checkpoint.pt")!;
        var names = layout.Tensors.Select(t => t.Name).ToList();
        names.Should().Contain(["model.0.weight", "model.0.bias", "model.1.weight", "optimizer.state.0.exp_avg", "optimizer.state.0.exp_avg_sq",
            "optimizer.state.3.exp_avg"]);
        layout.Tensors.Single(t => t.Name == "optimizer.state.0.exp_avg_sq").ShapeText.Should().Be("[32, 64]");
    }

    [Test]
    public void APickleThatWouldRunACommand_IsReadAsData_AndNothingRuns()
    {
        var layout = Read("evil.pt");

        File.Exists(_dir.Combine("PWNED")).Should().BeFalse("the pickle is never executed");
        layout!.Tensors.Select(t => t.Name).Should().Equal("w");
        var entry = Encoding.Latin1.GetString(File.ReadAllBytes(_dir.Combine("evil.pt")));
        entry.Should().Contain("system", "the checkpoint really asks for os.system");
    }

    [Test]
    public void ABareTensor_IsOneUnnamedTensor()
    {
        var layout = Read("bare.pt")!;
        layout.Tensors.Should().ContainSingle().Which.ShapeText.Should().Be("[8, 8]");
    }

    [Test]
    public void PickleReader_NeverCallsAnything_AndBoundsEverything()
    {
        // GLOBAL os system + REDUCE: recorded as a call that never happens.
        var evil = Pickle(0x80, 2, "cos\nsystem\n", "q", 0, "X", 11, 0, 0, 0, "touch PWNED", "q", 1, 0x85, "q", 2, "R", "q", 3, ".");
        var value = PickleReader.Read(evil);
        value.Should().BeOfType<PickleCall>().Which.Callable.Should().BeOfType<PickleGlobal>().Which.Name.Should().Be("system");

        // 200,000 nested lists: the reader is not recursive, so this is data, not a stack overflow.
        var deep = new List<byte> { 0x80, 0x02 };
        for (var i = 0; i < 200_000; i++)
        {
            deep.Add((byte)']');
        }

        for (var i = 0; i < 199_999; i++)
        {
            deep.Add((byte)'a');
        }

        deep.Add((byte)'.');
        var nested = PickleReader.Read([.. deep]);
        nested.Should().BeOfType<PickleList>();

        var act = () => PickleReader.Read(Pickle(0x80, 2, "h", 5, "."));
        act.Should().Throw<LayoutException>("a memo read of what was never stored");
        var tooLong = () => PickleReader.Read(Pickle(0x80, 2, "X", 0xff, 0xff, 0xff, 0x7f, "."));
        tooLong.Should().Throw<LayoutException>("a string longer than the pickle");
        var unknown = () => PickleReader.Read(Pickle(0x80, 2, 0xfe, "."));
        unknown.Should().Throw<LayoutException>();
        var popEmpty = () => PickleReader.Read(Pickle(0x80, 2, "0", "."));
        popEmpty.Should().Throw<LayoutException>();
    }

    /// <summary>Pickle bytes from opcode letters and text (Latin-1) and byte values.</summary>
    private static byte[] Pickle(params object[] parts) =>
        [.. parts.SelectMany(p => p is string s ? Encoding.Latin1.GetBytes(s) : [(byte)(int)p])];

    [Test]
    public void ADeepPickleInACheckpoint_FallsBackToPlainChunking()
    {
        using var dir = new TempDirectory("torch-deep");
        Torch.Run(dir.Path, """
            import sys
            sys.setrecursionlimit(20000)
            deep = []
            for _ in range(3000):
                deep = [deep]
            torch.save({"w": torch.randn(16), "deep": deep}, "deep.pt")
            """);
        using var stream = File.OpenRead(dir.Combine("deep.pt"));
        var layout = FileChunker.ReadLayout(stream, "deep.pt", CancellationToken.None);
        layout!.Tensors.Select(t => t.Name).Should().Equal("w");
    }
}
