using System.Security.Cryptography;
using Lmvp.Store.Chunking;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests;

/// <summary>Committing model files: chunks follow tensors (so a fine-tune saved under a new name stores only what changed),
/// float chunks are stored as byte planes, and everything reads back byte-exact, through fsck and an index rebuild.</summary>
[TestFixture]
public sealed class ModelFileCommitTests
{
    private const int Row = 256 * 4;
    private TempDirectory _torch = null!;

    [OneTimeSetUp]
    public void WriteCheckpoints()
    {
        // Twelve 256 KiB tensors; the fine-tune changes only the last one, and each epoch is saved under its own name
        // (so the zip's entry names, ft_e01/data/0 and ft_e02/data/0, differ in every local header).
        _torch = new TempDirectory("torch-commit");
        Torch.Run(_torch.Path, """
            base = {f"layers.{i}.weight": torch.randn(256, 256) * 0.02 for i in range(12)}
            base["layers.11.bias"] = torch.zeros(256)
            torch.save(base, "ft_e01.pt")
            tuned = dict(base)
            tuned["layers.11.weight"] = base["layers.11.weight"] + 0.001 * torch.randn(256, 256)
            torch.save(tuned, "ft_e02.pt")
            grown = dict(tuned)
            grown["head.weight"] = torch.randn(64, 256)
            del grown["layers.0.weight"]
            grown["layers.1.weight"] = torch.randn(128, 256)
            torch.save(grown, "ft_e03.pt")
            """);
    }

    [OneTimeTearDown]
    public void Delete() => _torch.Dispose();

    private byte[] Checkpoint(string name) => File.ReadAllBytes(_torch.Combine(name));

    [Test]
    public void Commit_TorchCheckpoint_CutsAtEveryStorageAndHeader_WithFixedPiecesInside()
    {
        using var repo = new ScratchRepository("model-cuts");
        var file = repo.Write("ft_e01.pt", Checkpoint("ft_e01.pt"));
        var result = repo.Commit();

        using var stream = File.OpenRead(file);
        var layout = FileChunker.ReadLayout(stream, "ft_e01.pt", CancellationToken.None)!;
        var starts = new HashSet<long>();
        long offset = 0;
        var manifest = repo.Repository.Store.GetManifest(repo.Entry(result.Commit.Id, "ft_e01.pt")!.Id);
        foreach (var c in manifest.Chunks)
        {
            starts.Add(offset);
            offset += c.Length;
        }

        layout.Regions.Should().HaveCount(13);
        foreach (var region in layout.Regions)
        {
            starts.Should().Contain(region.Offset, "a chunk starts where each storage does");
            for (var piece = region.Offset; piece < region.End; piece += TensorCuts.DefaultPieceSize)
            {
                starts.Should().Contain(piece, "inside a storage, chunks are 64 KiB pieces from its start");
            }

            (region.End == offset || starts.Contains(region.End)).Should().BeTrue("a chunk ends where each storage does");
        }
    }

    [Test]
    public void Commit_FineTuneSavedUnderANewName_StoresOnlyTheChangedTensor()
    {
        using var repo = new ScratchRepository("finetune");
        repo.Write("ft_e01.pt", Checkpoint("ft_e01.pt"));
        repo.Commit("epoch 1");
        repo.Write("ft_e02.pt", Checkpoint("ft_e02.pt"));
        var second = repo.Commit("epoch 2");

        const long changed = 256 * Row; // layers.11.weight
        second.BytesNew.Should().BeGreaterThanOrEqualTo(changed);
        second.BytesNew.Should().BeLessThan(changed + (changed * 3 / 100), "within 3% of the bytes that actually changed (headers, pickle, directory)");
        second.BytesStored.Should().BeLessThan(second.BytesNew, "the new chunks are floats, stored as byte planes");
    }

    [Test]
    public void Commit_FloatWeights_AreStoredAsBytePlanes_ReadBackByteExact_AndFsckIsClean()
    {
        using var repo = new ScratchRepository("planes");
        var weights = ModelFiles.NormalFloats(256 * 1024, 11);
        var safetensors = ModelFiles.Safetensors(
        [
            new TestTensor("w", "F32", [1024, 256], weights),
            new TestTensor("w16", "BF16", [1024, 256], ModelFiles.ToBFloat16(ModelFiles.NormalFloats(256 * 1024, 12))),
        ]);
        repo.Write("model.safetensors", safetensors);
        repo.Write("weights.bin", weights); // no format: found to be floats by the trial
        repo.Write("ft_e01.pt", Checkpoint("ft_e01.pt"));
        var result = repo.Commit();

        result.BytesNew.Should().Be(result.BytesScanned, "nothing repeats between these files except the floats in weights.bin, which differ in alignment only");
        result.CompressionRatio.Should().BeGreaterThan(1.15);
        var encodings = repo.Repository.Database.ListChunks().Select(c => c.Location.Encoding).ToList();
        encodings.Should().Contain(ChunkEncoding.BytePlanes);
        AssertEveryFileReadsBack(repo.Repository, result.Commit.Id);
        repo.Repository.Fsck().Problems.Should().BeEmpty();

        File.Delete(repo.Combine("model.safetensors"));
        repo.Repository.Restore([repo.Combine("model.safetensors")], "HEAD");
        File.ReadAllBytes(repo.Combine("model.safetensors")).Should().Equal(safetensors);
    }

    [Test]
    public void RebuildIndex_FromPacksWithBytePlanes_RecoversEveryChunkWithItsEncoding()
    {
        using var repo = new ScratchRepository("planes-rebuild");
        repo.Write("ft_e01.pt", Checkpoint("ft_e01.pt"));
        var commit = repo.Commit().Commit.Id;
        var before = repo.Repository.Database.ListChunks().ToDictionary(c => c.Id, c => c.Location.Encoding);
        before.Values.Should().Contain(ChunkEncoding.BytePlanes);
        repo.Repository.Dispose();
        foreach (var f in Directory.GetFiles(Path.Combine(repo.Root, ".lmvp"), "lmvp.db*"))
        {
            File.Delete(f);
        }

        Repository.RebuildIndex(repo.Root);
        repo.Reopen();

        repo.Repository.Database.ListChunks().ToDictionary(c => c.Id, c => c.Location.Encoding).Should().BeEquivalentTo(before);
        AssertEveryFileReadsBack(repo.Repository, commit);
        repo.Repository.Fsck().Problems.Should().BeEmpty();
    }

    [Test]
    public void ADamagedBytePlane_IsCaughtByFsck_AndByARead()
    {
        using var repo = new ScratchRepository("planes-damaged");
        repo.Write("ft_e01.pt", Checkpoint("ft_e01.pt"));
        var commit = repo.Commit().Commit.Id;
        var (id, location) = repo.Repository.Database.ListChunks().First(c => c.Location.Encoding == ChunkEncoding.BytePlanes);
        var (pack, dataOffset, storedLength) = LocateChunk(repo.Repository, id);
        FlipByte(pack, dataOffset + storedLength - 7); // in the last (mantissa) plane

        var report = repo.Repository.Fsck();

        var problem = report.Problems.Should().ContainSingle(p => p.Kind == FsckProblemKind.Chunk).Subject;
        problem.Subject.Should().Be(id.ToString());
        problem.UsedBy.Should().Equal(new FsckUsage("ft_e01.pt", commit));
        var read = () =>
        {
            using var stream = repo.Repository.OpenFile(repo.Entry(commit, "ft_e01.pt")!.Id);
            stream.CopyTo(Stream.Null);
        };
        read.Should().Throw<CorruptObjectException>().WithMessage($"*{id.ToShortString()}*");
        location.RawLength.Should().BeGreaterThan(location.StoredLength);
    }

    [Test]
    public void CollectGarbage_RewritingAPackOfBytePlanes_KeepsTheLiveChunksAsTheyWereStored()
    {
        using var repo = new ScratchRepository("planes-gc");
        repo.Write("base.txt", "base"u8.ToArray());
        repo.Commit("base");
        repo.Repository.CreateBranch("exp");
        repo.Repository.Checkout("exp");
        var live = ModelFiles.Safetensors([new TestTensor("w", "F32", [512, 256], ModelFiles.NormalFloats(512 * 256, 21))]);
        repo.Write("live.safetensors", live);
        repo.Write("dead.safetensors", ModelFiles.Safetensors([new TestTensor("w", "F32", [512, 256], ModelFiles.NormalFloats(512 * 256, 22))]));
        repo.Commit("exp");
        repo.Repository.Checkout("main");
        repo.Write("live.safetensors", live);
        var kept = repo.Commit("main keeps live").Commit.Id;
        repo.Repository.DeleteBranch("exp", force: true);
        var before = repo.Repository.Database.ListChunks().Where(c => c.Location.Encoding == ChunkEncoding.BytePlanes).ToDictionary(c => c.Id, c => c.Location.StoredLength);

        var gc = repo.Repository.CollectGarbage();

        gc.PacksRewritten.Should().Be(1);
        var after = repo.Repository.Database.ListChunks().ToDictionary(c => c.Id, c => c.Location);
        after.Values.Should().Contain(l => l.Encoding == ChunkEncoding.BytePlanes);
        after.Where(c => c.Value.Encoding == ChunkEncoding.BytePlanes).Should().OnlyContain(c => before[c.Key] == c.Value.StoredLength, "copied, not re-encoded");
        AssertEveryFileReadsBack(repo.Repository, kept);
        repo.Repository.Fsck().Problems.Should().BeEmpty();
    }

    [Test]
    public void APackWrittenBeforeBytePlanes_StillReads_AfterAnIndexRebuild()
    {
        // Written by lmvp as of commit bca53ad (raw and zstd chunks only): notes.txt (2,890 bytes, zstd) and weights.bin (1,500
        // random bytes, raw) in one commit.
        using var dir = new TempDirectory("old-pack");
        Repository.Init(dir.Path).Dispose();
        File.WriteAllBytes(dir.Combine(".lmvp", "packs", "pack-a96c4abf55c448b0d27b03f26123b8a6.pack"), Convert.FromBase64String(OldPack));

        var rebuilt = Repository.RebuildIndex(dir.Path);

        rebuilt.Chunks.Should().Be(2);
        using var repository = Repository.Open(dir.Path);
        var files = repository.ListFiles(repository.Head!.Value).ToDictionary(f => f.Key, f => f.Value);
        Sha256(repository, files["notes.txt"].Id).Should().Be("7346726400ff97d886e3e11ef15d2980ba2543e005585bc12f66c5b404f8e0ab");
        Sha256(repository, files["weights.bin"].Id).Should().Be("563c81eba6893221d3b4877748909cecbfd86012f21988128fe1a18236c28396");
        repository.Database.ListChunks().Select(c => c.Location.Encoding).Should().BeEquivalentTo([ChunkEncoding.Zstd, ChunkEncoding.Raw]);
        repository.Fsck().Problems.Should().BeEmpty();
    }

    [Test]
    public void AHostileModelHeader_IsCommittedAsPlainBytes()
    {
        using var repo = new ScratchRepository("hostile");
        var file = ModelFiles.Safetensors([new TestTensor("w", "F32", [65536], ModelFiles.NormalFloats(65536, 3))]);
        BitConverter.GetBytes(1L << 40).CopyTo(file, 0); // a header length far past the end
        repo.Write("model.safetensors", file);

        var result = repo.Commit();

        AssertEveryFileReadsBack(repo.Repository, result.Commit.Id);
        repo.Repository.ReadTensors("HEAD", "model.safetensors").Should().BeNull();
    }

    [Test]
    public void DiffTensors_NamesTheChangedAddedAndRemovedTensors_ByChunkIds()
    {
        using var repo = new ScratchRepository("tensor-diff");
        repo.Write("model.pt", Checkpoint("ft_e01.pt"));
        repo.Commit("e1");
        repo.Write("model.pt", Checkpoint("ft_e02.pt"));
        repo.Commit("e2");
        repo.Write("model.pt", Checkpoint("ft_e03.pt"));
        repo.Commit("e3");

        var tuned = repo.Repository.DiffTensors("HEAD~2", "HEAD~1").Tensors!.Should().ContainSingle().Subject;
        tuned.Path.Should().Be("model.pt");
        tuned.Tensors.Where(t => t.Change != TensorChange.Unchanged).Select(t => (t.Name, t.Change, t.BytesDiffering))
            .Should().Equal(("layers.11.weight", TensorChange.Changed, 256L * Row));
        tuned.Count(TensorChange.Unchanged).Should().Be(12);

        var grown = repo.Repository.DiffTensors("HEAD~1", "HEAD").Tensors!.Single();
        grown.Tensors.Where(t => t.Change != TensorChange.Unchanged).Select(t => (t.Name, t.Change)).Should().BeEquivalentTo(
        [
            ("head.weight", TensorChange.Added), ("layers.0.weight", TensorChange.Removed), ("layers.1.weight", TensorChange.Changed),
        ]);
        grown.Tensors.Single(t => t.Name == "layers.1.weight").Should().Match<TensorDiff>(t => t.Old!.ShapeText == "[256, 256]" && t.New!.ShapeText == "[128, 256]");

        // Against the working tree: the file is chunked as a commit would, without storing anything.
        repo.Write("model.pt", Checkpoint("ft_e02.pt"));
        var working = repo.Repository.DiffTensors("HEAD", null).Tensors!.Single();
        working.Tensors.Single(t => t.Name == "layers.0.weight").Change.Should().Be(TensorChange.Added);
        working.Tensors.Single(t => t.Name == "layers.11.weight").Change.Should().Be(TensorChange.Unchanged);
    }

    private static string Sha256(Repository repository, ObjectId fileId)
    {
        using var stream = repository.OpenFile(fileId);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private const string OldPack =
        "TE1WUFBBQ0sBAAAAAAAAAAEBAACUAQAASgsAAAAAAAA8hH0WFVF+rHoc/mvPXkjPlmJUVTUh8WmOGMcgs+Wl7Ci1L/1gSgpVDAA2WzgUwCXDAYGwOP/vlUlKmVKSDIrDYQE2ADAAMgBl"
        + "yY4dG2TxPIkzziijR4/duG3bFlut9hGtUyMvokcq91iPNIEgoGAYRARACMMwICCEQBBQMARCEwqhoqIPzXjGIx577KmHHnpmCUtJyYWEZCpSkYrr1qxZr4466vJ9U4cVVlizZQMbignF"
        + "TDFTrBQjxUixUSwoFhSrelFRzZRMyZSnOtUpzjePeczr/08f+chFyEIVqhCFFoM63DDDDC8c4QiX75s6ValK1dVWW2V11VWjWDxP4pxzyunTZz9++/bFV6t9NAqBKaghnL7/G8FH1QER"
        + "OFgpPztJgGqJoNXR0aQkQrZEoJIJlltNR5OSENkSAVUmWG46HY1OY9mpsolJL5FmHs00mlk0k2jm0EyhWSZKBiXTSqG0UjxXJYOiaaWgWikuq5JB0rRSUK0UnlVJpZDWKKQ1BoGqJFRI"
        + "axjSGoVAVSIqpFWMEswVWPYX1hemFwZe3J04unBezkw45U2BTd4UbHJNAbOWStMqBAAAAFIAAABSAAAAAAAAADyEfRYVUX6sehz+a89eSM+WYlRVNSHxaY4YxyCz5aXsTE1BTgE8hH0W"
        + "FVF+rHoc/mvPXkjPlmJUVTUh8WmOGMcgs+Wl7EoLAAAAAAAAATyEfRYVUX6sehz+a89eSM+WYlRVNSHxaY4YxyCz5aXsSgsAAAEAAADcBQAA3AUAAAAAAAAPPiHuJnLC72nPg5oVvfS2"
        + "Pr8QM/cEuq//4lEpotKUvJ9BvVvLsPHXvabshwfXd8bxP6YN5igcX3jeP2GLGpI/A7s3aEcu6t7EYyjDzBIjnp5xICEA+N8BNcY39fsq3ypKUPYyiuCtoDQu8PewMvf35GJMBVxqKu8l"
        + "QxBUTdGalgCYrbVWEE9a0U57slAve3i0LQ5B+fAF879b2GcEjMlrXWCU1wJzC7Uun/T0Mh7BPu3R8XZYg1rkhkDGdhuWv8fMXtxLCW7y+hc1V4OcXOslV0bss4sXT69RTi3MFKAmuLBP"
        + "/3spuAwU/JmI7GcIPL2YWNNAdKZrJQ766qMIzX5V1jUh+7uQ8yGh5clpGytvXyYP2GtLJHTs/57aK/mFdPV8sLpRekZKeGfmJRxg0v2I9S2g73/eVi4WfUWDyIzegFwQycvGW7GWqQjC"
        + "Tl2PtKtH1XxDxfuwt0v08lemLZTaAnmMxkBTq0Z2SdGApazMW1lGpFi88NRoWezXLN7dsHP5XfRVhCSH+ioy1lzv2npIsRS4q7pqK53H75SEqu9rTZ+Nxt2jRbj+BzIolnCfpi44wq8u"
        + "obcK/Hj6OSoN5CIcUfcuezGMCWp3WWGpnBKXNDy3518AWWfzR9to3R2w1Ixf9gmMnU0YS4uDVvOUS/Va0SFraNCQpIledyQomGGQevUy9yKbF1nS5KkAYRtTkOqdiiRToeDkkGBtbvo5"
        + "fkp6+LVhYvba6SiYmEK9+01/QGoFUfH7Tn3tSSR6Bh+on/VxPksKyCLTZAN6iI9GPu95yAk+fUTYJ7j9SUt+m/55hKXdmuG+5R4EwiBMSIi1Vp1Lu4cGdllcrr7QlyEJAECNdK/qG+Ov"
        + "izADbcfObZiTsLX0oaZ72+nXYnlkrtq4MuZLd9TCEE3WALHHbpVJpcd46U8kKnqxjON/+VSJJ2yVis8MEbs6RNEVyhCp8QZVuG36Ef9ns3wMH9cfOJ2l0/MctuUi/kq063AmLpwvac0p"
        + "EZ82C44bqWG+EkcOkpMevmbgnyICbhdQr5l9fVrwp1/qDiOySyaRoa2BSunxjoyeOEMQjTxB1cBIhPkizjzdX3S8Yy0htgSnVxWSqgkX3R+BmHQ9Y+B2evZSG8uHB4q5Yg3ZJvHzba7L"
        + "Ob8dFfnpqn3SNiOzn2Ba1TxKVe6dtFnLYmAiudRbpUvNoW722lyECZf+kje9LmUQGAkILzMyCn3j73upwlkAbXhM4++e621Sd3YZMSenKBJf3mLe4XgmjUEcR9EpwEmsPAh75QhY7MBe"
        + "UPAPsAWsdHjZ8iceyatTSnSsPbr+KQgztgaTO6gUnmbp+bRdrk8vd1xIEbv+t3cpxj0srDXwC6Wbbrn5RQF2D3PHrmkrCwiM1f3WhJBZ8Bi3EjzmzX0X73gNrj6kDH9lyA8MQdVock6j"
        + "DeAJ8/gxLbKCo2cwiDsV7VDKGxaK/OspmRPbujafBHCKW3xsksRghaAhuQPpwU6wcuTT/zmNHSNPexbHxUPRZ1AhIYkUeD6yFcxt95OqPkYPfrM/DLQzy0nhX+IZEmvEUGHAxI4A5Umn"
        + "8MIhkwdxJNGwp8j0BLoMs21EG8/OYY8hUhBOKyNDf61SSQgQisO9jgcHHwz4IdNbb9xC8/OcBDuHbSBcM1RbAymVntMpuvsYRIebK6G1JHLD8G/LbR5VUXLqOnaYbytxDMSr7ymIefh9"
        + "mAAaINDZa68NNfoACOiTPHu04VpkdjczRtIzTY+EW8PAyT1dWs8/0Pup1+jZD55+ZlkkJNQ9fWEJGCtlGcC3SObrM8vMwVJ6rnjciJ8XzDJgsAIag5qWni/QYwVRrQacT4NigHmLtLBm"
        + "c/vJ0JTs77GOqw+JJcxqXPWXBa3FhTRISRMGFsZbnJTcwvC2aU737QNG7bc8EgnAFqv29EzlWbDN1u69m5yPNXuEF+UePVf5yYtsZPgAq2NgLcCnh+Y16a2dUmJSG9ew442wt/tfP+MZ"
        + "NktOzETMnxPl8yoToWnELzmnEJGQoNSj4Iu6aGo7bHuHmOc+TWtHFZrj91QvawQAAABSAAAAUgAAAAAAAAAPPiHuJnLC72nPg5oVvfS2Pr8QM/cEuq//4lEpotKUvExNQU4BDz4h7iZy"
        + "wu9pz4OaFb30tj6/EDP3BLqv/+JRKaLSlLzcBQAAAAAAAAEPPiHuJnLC72nPg5oVvfS2Pr8QM/cEuq//4lEpotKUvNwFAAACAAAAcAAAAHAAAAAAAAAAt2thdwkB2J3A4waVr8NI8Mpo"
        + "AAobyRviTOD8MccUQVpMVFJFAQIJbm90ZXMudHh0AQBKCwAAAAAAADyEfRYVUX6sehz+a89eSM+WYlRVNSHxaY4YxyCz5aXsC3dlaWdodHMuYmluAQDcBQAAAAAAAA8+Ie4mcsLvac+D"
        + "mhW99LY+vxAz9wS6r//iUSmi0pS8AwAAAFEAAABRAAAAAAAAAMSKXkI0olY9h+Pymnli1PdP4c6jSYyi5u94wnWh6EKITENNVAG3a2F3CQHYncDjBpWvw0jwymgAChvJG+JM4PwxxxRB"
        + "WgAVT2xkIDxvbGRAZXhhbXBsZS5jb20+4GEzMaIBAAAKb2xkIGZvcm1hdAAAPIR9FhVRfqx6HP5rz15Iz5ZiVFU1IfFpjhjHILPlpewBAQAAEAAAAAAAAACUAQAASgsAADyEfRYVUX6s"
        + "ehz+a89eSM+WYlRVNSHxaY4YxyCz5aXsBAAAANQBAAAAAAAAUgAAAFIAAAAPPiHuJnLC72nPg5oVvfS2Pr8QM/cEuq//4lEpotKUvAEAAABWAgAAAAAAANwFAADcBQAADz4h7iZywu9p"
        + "z4OaFb30tj6/EDP3BLqv/+JRKaLSlLwEAAAAYggAAAAAAABSAAAAUgAAALdrYXcJAdidwOMGla/DSPDKaAAKG8kb4kzg/DHHFEFaAgAAAOQIAAAAAAAAcAAAAHAAAADEil5CNKJWPYfj"
        + "8pp5YtT3T+HOo0mMoubveMJ1oehCiAMAAACECQAAAAAAAFEAAABRAAAABQoAAAAAAAAGAAAAAQAAAKlsSr9VxEiw0nsD8mEjuKbGj1RuJyZZfyoniU91OU2LTE1WUFRSTFI=";
}
