using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

/// <summary>Trees from a hostile source (a malicious server or a crafted push) naming paths that would escape the working
/// tree or land in a repository directory: checkout refuses them before writing anything.</summary>
public class RepositoryHostileTreeTests
{
    private TempDirectory _outer = null!;
    private Repository _repo = null!;
    private string _work = null!;
    private ObjectId _payloadId;
    private long _payloadSize;
    private ObjectId _goodCommit;

    [SetUp]
    public void SetUp()
    {
        // The working tree sits one level down, so anything escaping it lands where the test can see it.
        _outer = new TempDirectory("hostile");
        _work = _outer.Combine("work");
        _repo = Repository.Init(_work);
        var payload = "#!/bin/sh\necho owned\n"u8.ToArray();
        File.WriteAllBytes(Path.Combine(_work, "payload.sh"), payload);
        _goodCommit = _repo.Commit(new CommitOptions { Message = "good", Author = "a", RecordProvenance = false }).Commit.Id;
        _payloadId = Hashes.Of(payload);
        _payloadSize = payload.Length;
    }

    [TearDown]
    public void TearDown()
    {
        _repo.Dispose();
        _outer.Dispose();
    }

    private RawTreeEntry Payload(string name) => RawTreeEntry.File(name, _payloadId, _payloadSize);

    /// <summary>Stores raw tree bytes and a commit naming them, and points branch "evil" at it: what a fetch from a hostile remote would leave.</summary>
    private ObjectId Plant(params byte[][] treesRootLast)
    {
        _repo.Database.InTransaction(() =>
        {
            foreach (var tree in treesRootLast)
            {
                _repo.Database.PutObject(ObjectId.Compute(tree), ObjectKind.Tree, tree);
            }
        });

        var commit = Commit.Create(ObjectId.Compute(treesRootLast[^1]), [], "mallory", DateTimeOffset.UtcNow, "evil", [], null);
        _repo.Database.PutObject(commit.Id, ObjectKind.Commit, commit.Encoded);
        _repo.UpdateRef("refs/heads/evil", commit.Id);
        return commit.Id;
    }

    private byte[] Dir(string name, byte[] subtree, params RawTreeEntry[] before) =>
        RawTree.Encode([.. before, RawTreeEntry.Directory(name, ObjectId.Compute(subtree))]);

    private static IEnumerable<TestCaseData> HostileTrees()
    {
        yield return new TestCaseData("..", "unsafe").SetName("Checkout_FileNamedDotDot_IsRefused");
        yield return new TestCaseData("../escape.sh", "unsafe").SetName("Checkout_ParentRelativeName_IsRefused");
        yield return new TestCaseData("../../escape.sh", "unsafe").SetName("Checkout_DeepParentRelativeName_IsRefused");
        yield return new TestCaseData("/tmp/escape.sh", "unsafe").SetName("Checkout_AbsoluteName_IsRefused");
        yield return new TestCaseData("..\\escape.sh", "unsafe").SetName("Checkout_BackslashTraversal_IsRefused");
        yield return new TestCaseData(".", "unsafe").SetName("Checkout_FileNamedDot_IsRefused");
        yield return new TestCaseData("", "unsafe").SetName("Checkout_EmptyName_IsRefused");
    }

    [TestCaseSource(nameof(HostileTrees))]
    public void Checkout_HostileNameAtTheRoot_IsRefusedAndWritesNothing(string name, string reason)
    {
        Plant(RawTree.Encode([Payload("-first.sh"), Payload(name)]));
        ShouldRefuse(reason);
    }

    [TestCaseSource(nameof(HostileTrees))]
    public void Checkout_HostileNameInASubdirectory_IsRefusedAndWritesNothing(string name, string reason)
    {
        var sub = RawTree.Encode([Payload(name)]);
        Plant(sub, Dir("sub", sub, Payload("-first.sh")));
        ShouldRefuse(reason);
    }

    [Test]
    public void Checkout_DirectoryNamedDotDot_IsRefusedAndWritesNothing()
    {
        var sub = RawTree.Encode([Payload("escape.sh")]);
        Plant(sub, Dir("..", sub, Payload("-first.sh")));
        ShouldRefuse("unsafe");
    }

    [TestCase(".lmvp", "lmvp.db")]
    [TestCase(".lmvp", "packs")]
    [TestCase(".git", "config")]
    public void Checkout_PathIntoARepositoryDirectory_IsRefusedAndWritesNothing(string directory, string file)
    {
        var sub = RawTree.Encode([Payload(file)]);
        Plant(sub, Dir(directory, sub, Payload("-first.sh")));
        ShouldRefuse("Refusing");
    }

    [Test]
    public void Checkout_GitHookInANestedGitDirectory_IsRefusedAndWritesNothing()
    {
        var hooks = RawTree.Encode([Payload("post-checkout") with { Executable = 1 }]);
        var git = RawTree.Encode([RawTreeEntry.Directory("hooks", ObjectId.Compute(hooks))]);
        var code = RawTree.Encode([RawTreeEntry.Directory(".git", ObjectId.Compute(git))]);
        Plant(hooks, git, code, Dir("code", code, Payload("-first.sh")));
        ShouldRefuse("Refusing");
    }

    [TestCase(2100, 1)] // "d/d/.../d/payload.sh": over 4096 bytes, and deep enough to matter
    [TestCase(5, 1000)] // few levels of long names
    public void Checkout_TreesNestedPastAnyPathLength_AreRefusedWithoutWritingAnything(int depth, int nameLength)
    {
        var name = new string('d', nameLength);
        var trees = new List<byte[]> { RawTree.Encode([Payload("payload.sh")]) };
        for (var i = 0; i < depth; i++)
        {
            trees.Add(RawTree.Encode([RawTreeEntry.Directory(name, ObjectId.Compute(trees[^1]))]));
        }

        Plant([.. trees]);
        ShouldRefuse("longer than 4096 bytes");
        var list = () => _repo.ListFiles(_repo.ResolveCommit("evil"));
        list.Should().Throw<CorruptObjectException>();
    }

    [Test]
    public void Checkout_DuplicateOrUnsortedNames_AreRefused()
    {
        Plant(RawTree.Encode([Payload("b.sh"), Payload("a.sh")]));
        ShouldRefuse("out of order");
        Plant(RawTree.Encode([Payload("a.sh"), Payload("a.sh")]));
        ShouldRefuse("duplicated");
    }

    [Test]
    public void Restore_FromAHostileCommit_IsRefusedToo()
    {
        var sub = RawTree.Encode([Payload("hook")]);
        var commit = Plant(sub, Dir(".git", sub));
        var restore = () => _repo.Restore([_work], commit.ToString());
        restore.Should().Throw<CorruptObjectException>().WithMessage("*Refusing*");
        File.Exists(Path.Combine(_work, ".git", "hook")).Should().BeFalse();
    }

    private void ShouldRefuse(string reason)
    {
        var before = Snapshot();

        var checkout = () => _repo.Checkout("evil", force: true);

        checkout.Should().Throw<CorruptObjectException>().WithMessage($"*{reason}*").Which.Message.Should().NotContain("\n");
        Snapshot().Should().Equal(before, "a refused checkout writes nothing, inside the working tree or out of it");
        _repo.Head.Should().Be(_goodCommit);
        _repo.CurrentBranch.Should().Be("main");
    }

    /// <summary>Every path under the outer directory (working tree included, .lmvp excluded) with its size.</summary>
    private List<string> Snapshot() =>
        Directory.EnumerateFileSystemEntries(_outer.Path, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Path.Combine(_work, ".lmvp"), StringComparison.Ordinal))
            .Select(p => $"{Path.GetRelativePath(_outer.Path, p)} {(File.Exists(p) ? new FileInfo(p).Length : -1)}")
            .Order(StringComparer.Ordinal)
            .ToList();
}
