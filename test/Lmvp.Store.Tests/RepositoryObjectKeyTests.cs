using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

public class RepositoryObjectKeyTests
{
    [Test]
    public void Commit_FileWhoseBytesAreAnEncodedTree_KeepsBothTheTreeAndTheFile()
    {
        using var scratch = new ScratchRepository();
        scratch.Write("weights.bin", TestData.Random(10_000, seed: 11));
        var first = scratch.Commit("first").Commit;
        var treeBytes = scratch.Repository.GetTree(first.TreeId).Encoded;

        // A file whose content is exactly that tree's encoding has the tree's id as its file id.
        scratch.Write("copy-of-tree.bin", treeBytes);
        var second = scratch.Commit("second").Commit;
        scratch.Entry(second.Id, "copy-of-tree.bin")!.Id.Should().Be(first.TreeId);

        File.Delete(scratch.Combine("copy-of-tree.bin"));
        scratch.Repository.Restore([scratch.Combine("copy-of-tree.bin")], second.Id.ToString());
        File.ReadAllBytes(scratch.Combine("copy-of-tree.bin")).Should().Equal(treeBytes);
        scratch.Repository.GetTree(first.TreeId).Entries.Select(e => e.Name).Should().Equal("weights.bin");
        scratch.Repository.Fsck().Problems.Should().BeEmpty();
    }
}
