using System.Runtime.Versioning;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

[UnsupportedOSPlatform("windows")]
public class RepositoryStatusTests
{
    [Test]
    public void Status_ReportsNewModifiedAndDeletedPaths_InPathOrder()
    {
        using var scratch = new ScratchRepository("status");
        scratch.Write("keep.bin", [1]);
        scratch.Write("change.bin", [2]);
        scratch.Write("dir/remove.bin", [3]);
        scratch.Write("mode.sh", [4]);
        scratch.Commit();
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();

        scratch.Write("change.bin", [2, 2]);
        File.Delete(scratch.Combine("dir/remove.bin"));
        scratch.Write("new/added.bin", [5]);
        File.SetUnixFileMode(scratch.Combine("mode.sh"), (UnixFileMode)Convert.ToInt32("755", 8));

        var status = scratch.Repository.GetStatus();

        status.IsClean.Should().BeFalse();
        status.Entries.Should().Equal(
            new StatusEntry("change.bin", FileChangeKind.Modified),
            new StatusEntry("dir/remove.bin", FileChangeKind.Deleted),
            new StatusEntry("mode.sh", FileChangeKind.Modified),
            new StatusEntry("new/added.bin", FileChangeKind.Added));
    }

    [Test]
    public void Status_BeforeTheFirstCommit_ListsEverythingAsAdded_ExceptIgnoredFiles()
    {
        using var scratch = new ScratchRepository("status0");
        scratch.Write("a.bin", [1]);
        scratch.Write("scratch.tmp", [1]);
        scratch.Write(".lmvpignore", "*.tmp\n"u8.ToArray());

        scratch.Repository.GetStatus().Entries.Should().Equal(
            new StatusEntry(".lmvpignore", FileChangeKind.Added),
            new StatusEntry("a.bin", FileChangeKind.Added));
    }

    [Test]
    public void Status_SameSizeRewrite_IsModified()
    {
        using var scratch = new ScratchRepository("status1");
        scratch.Write("w.bin", TestData.Random(1000, seed: 1));
        scratch.Commit();
        scratch.Write("w.bin", TestData.Random(1000, seed: 2));

        scratch.Repository.GetStatus().Entries.Should().Equal(new StatusEntry("w.bin", FileChangeKind.Modified));
    }

    [Test]
    public void Status_SymlinkRetargeted_IsModified()
    {
        using var scratch = new ScratchRepository("status2");
        File.CreateSymbolicLink(scratch.Combine("link"), "a");
        scratch.Commit();
        File.Delete(scratch.Combine("link"));
        File.CreateSymbolicLink(scratch.Combine("link"), "b");

        scratch.Repository.GetStatus().Entries.Should().Equal(new StatusEntry("link", FileChangeKind.Modified));
    }
}
