using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

public class RepositoryTests
{
    [Test]
    public void Init_CreatesAnEmptyRepositoryOnMain()
    {
        using var dir = new TempDirectory("init");
        var root = dir.Combine("not", "yet", "there");

        using var repo = Repository.Init(root);

        repo.WorkingDirectory.Should().Be(root);
        repo.RepositoryDirectory.Should().Be(Path.Combine(root, ".lmvp"));
        File.Exists(Path.Combine(root, ".lmvp", "lmvp.db")).Should().BeTrue();
        Directory.Exists(Path.Combine(root, ".lmvp", "packs")).Should().BeTrue();
        repo.CurrentBranch.Should().Be("main");
        repo.Head.Should().BeNull();
        repo.ListBranches().Should().BeEmpty();
        repo.GetStatus().IsClean.Should().BeTrue();
    }

    [Test]
    public void Init_WhereARepositoryExists_Fails()
    {
        using var scratch = new ScratchRepository("init2");
        var again = () => Repository.Init(scratch.Root);
        again.Should().Throw<LmvpException>().WithMessage("*already an lmvp repository*");
    }

    [Test]
    public void Open_ADirectoryWithoutRepository_ThrowsRepositoryNotFound()
    {
        using var dir = new TempDirectory("open");
        var open = () => Repository.Open(dir.Path);
        open.Should().Throw<RepositoryNotFoundException>().WithMessage("*lmvp init*");
        Directory.Exists(dir.Combine(".lmvp")).Should().BeFalse("a failed open creates nothing");
    }

    [Test]
    public void Open_SeesWhatAnEarlierInstanceCommitted()
    {
        using var scratch = new ScratchRepository("reopen");
        scratch.Write("a.bin", [1, 2, 3]);
        var commit = scratch.Commit("first").Commit;

        scratch.Reopen();

        scratch.Repository.Head.Should().Be(commit.Id);
        scratch.Repository.GetCommit(commit.Id).Message.Should().Be("first");
    }

    [Test]
    public void Discover_FromADeepSubdirectory_FindsTheWorkingTreeRoot()
    {
        using var scratch = new ScratchRepository("discover");
        var deep = Directory.CreateDirectory(scratch.Combine("a/b/c")).FullName;

        using var found = Repository.Discover(deep);

        found.WorkingDirectory.Should().Be(scratch.Root);
    }

    [Test]
    public void Discover_OutsideAnyRepository_ThrowsRepositoryNotFound()
    {
        using var dir = new TempDirectory("nowhere");
        var discover = () => Repository.Discover(dir.Path);
        discover.Should().Throw<RepositoryNotFoundException>().WithMessage($"*{dir.Path}*");
    }

    [Test]
    public void Open_RemovesTemporaryPacksOfAKilledWriter()
    {
        using var scratch = new ScratchRepository("stale");
        var packs = Path.Combine(scratch.Repository.RepositoryDirectory, "packs");
        var stale = Path.Combine(packs, PackFormat.TempPrefix + "dead" + PackFormat.Extension);
        File.WriteAllBytes(stale, new byte[100]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-3));

        scratch.Reopen();

        File.Exists(stale).Should().BeFalse();
    }

    [Test]
    public void Config_SetGetListAndUnset()
    {
        using var scratch = new ScratchRepository("config");
        var repo = scratch.Repository;
        repo.GetConfig("remote.origin.url").Should().BeNull();
        repo.SetConfig("remote.origin.url", "http://127.0.0.1:1/x");
        repo.SetConfig("remote.origin.token", "t");
        repo.SetConfig("remote.other.url", "u");
        repo.SetConfig("remote.origin.url", "http://127.0.0.1:2/x");

        repo.GetConfig("remote.origin.url").Should().Be("http://127.0.0.1:2/x");
        repo.ListConfig("remote.origin.").Select(kv => kv.Key).Should().Equal("remote.origin.token", "remote.origin.url");
        repo.UnsetConfig("remote.origin.url");
        repo.GetConfig("remote.origin.url").Should().BeNull();
    }

    [Test]
    public void OpenFile_StreamsVerifiedContent_AndSupportsSeeking()
    {
        using var scratch = new ScratchRepository("openfile");
        var content = TestData.Random(700_000, seed: 3);
        scratch.Write("w.bin", content);
        var entry = scratch.Entry(scratch.Commit().Commit.Id, "w.bin")!;

        using (var stream = scratch.Repository.OpenFile(entry.Id))
        {
            stream.Length.Should().Be(content.Length);
            var all = new MemoryStream();
            stream.CopyTo(all, 4096);
            all.ToArray().Should().Equal(content);
        }

        using (var stream = scratch.Repository.OpenFile(entry.Id))
        {
            stream.Position = 500_000;
            var part = new byte[1000];
            stream.ReadExactly(part);
            part.Should().Equal(content.AsSpan(500_000, 1000).ToArray());
        }

        var missing = () => scratch.Repository.OpenFile(ObjectId.Compute("nope"u8));
        missing.Should().Throw<ObjectNotFoundException>();
    }

    [Test]
    public void OpenFile_ACorruptChunk_ThrowsCorruptObject()
    {
        using var scratch = new ScratchRepository("openfile-corrupt");
        var content = TestData.Random(700_000, seed: 4);
        scratch.Write("w.bin", content);
        scratch.Commit();
        RepositoryCheckoutTests.CorruptLastChunk(scratch, Hashes.Of(content));

        using var stream = scratch.Repository.OpenFile(Hashes.Of(content));
        var read = () => stream.CopyTo(Stream.Null);
        read.Should().Throw<CorruptObjectException>().WithMessage("*corrupt*");
    }

    [Test]
    public void OpenFile_AManifestWhoseChunksAreSoundButAreNotTheFile_FailsAtTheEnd()
    {
        using var scratch = new ScratchRepository("openfile-forged");
        var content = TestData.Random(300_000, seed: 5);
        scratch.Write("w.bin", content);
        scratch.Commit();
        var real = scratch.Repository.Store.GetManifest(Hashes.Of(content));
        var forgedId = ObjectId.Compute("a file that was never stored"u8);
        var forged = new FileManifest(forgedId, real.Size, real.Chunks);
        scratch.Repository.Database.PutObject(forgedId, ObjectKind.Manifest, forged.Encode());

        using var stream = scratch.Repository.OpenFile(forgedId);
        var read = () => stream.CopyTo(Stream.Null);
        read.Should().Throw<CorruptObjectException>().WithMessage($"*{forgedId.ToShortString()}*");
    }
}
