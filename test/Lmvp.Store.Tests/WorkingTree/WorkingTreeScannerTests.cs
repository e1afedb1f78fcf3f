using System.Diagnostics;
using System.Runtime.Versioning;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.WorkingTree;

[UnsupportedOSPlatform("windows")]
public class WorkingTreeScannerTests
{
    [Test]
    public void Scan_ListsFilesAndLinksInOrdinalOrder_SkippingIgnoredRepositoryAndTemporaryEntries()
    {
        using var dir = new TempDirectory("scan");
        dir.WriteFile("b.bin", [1]);
        dir.WriteFile("A.bin", [2]);
        dir.WriteFile("sub/z.bin", [3]);
        dir.WriteFile("sub/a.tmp", [4]);
        dir.WriteFile("build/out.bin", [5]);
        dir.WriteFile(".lmvp/lmvp.db", [6]);
        dir.WriteFile(".git/HEAD", [7]);
        dir.WriteFile("sub/" + CheckoutNames.TempPrefix + "123", [8]);
        dir.WriteFile(".lmvpignore", "*.tmp\nbuild/\n"u8.ToArray());
        Directory.CreateDirectory(dir.Combine("empty"));
        File.CreateSymbolicLink(dir.Combine("link"), "b.bin");

        var files = WorkingTreeScanner.Scan(dir.Path, IgnoreRules.Load(dir.Path));

        files.Select(f => f.Path).Should().Equal(".lmvpignore", "A.bin", "b.bin", "link", "sub/z.bin");
        files.Single(f => f.Path == "link").LinkTarget.Should().Be("b.bin");
        files.Single(f => f.Path == "link").Stat.IsSymlink.Should().BeTrue();
        files.Single(f => f.Path == "sub/z.bin").FullPath.Should().Be(dir.Combine("sub", "z.bin"));
        files.Single(f => f.Path == "b.bin").Stat.Size.Should().Be(1);
    }

    [Test]
    public void Scan_NeverFollowsASymlinkToADirectory()
    {
        using var outside = new TempDirectory("outside");
        outside.WriteFile("secret.bin", [42]);
        using var dir = new TempDirectory("scan");
        File.CreateSymbolicLink(dir.Combine("escape"), outside.Path);

        var files = WorkingTreeScanner.Scan(dir.Path, IgnoreRules.Empty);

        files.Should().ContainSingle();
        files[0].Path.Should().Be("escape");
        files[0].Stat.IsSymlink.Should().BeTrue();
        files[0].LinkTarget.Should().Be(outside.Path);
    }

    [Test]
    public void TryLstat_DescribesFilesDirectoriesLinksAndMissingPaths()
    {
        using var dir = new TempDirectory("stat");
        var file = dir.WriteFile("f.sh", new byte[1234]);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(dir.Combine("l"), "f.sh");

        var f = FileStatReader.TryLstat(file)!.Value;
        f.IsRegular.Should().BeTrue();
        f.Size.Should().Be(1234);
        f.IsExecutable.Should().BeTrue();
        f.Inode.Should().NotBe(0);
        f.MtimeNs.Should().Be((File.GetLastWriteTimeUtc(file) - DateTime.UnixEpoch).Ticks * 100);

        var l = FileStatReader.TryLstat(dir.Combine("l"))!.Value;
        l.IsSymlink.Should().BeTrue();
        l.IsRegular.Should().BeFalse();

        FileStatReader.TryLstat(dir.Path)!.Value.IsDirectory.Should().BeTrue();
        FileStatReader.TryLstat(dir.Combine("missing")).Should().BeNull();
        FileStatReader.TryLstat(dir.Combine("f.sh", "below-a-file")).Should().BeNull();
    }

    /// <summary>Creates a file whose name holds the byte 0xFF, which .NET cannot name: only a shell can.</summary>
    internal static void CreateFileWithInvalidUtf8Name(string directory, string before, string after)
    {
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "printf data > \"$1/$2$(printf '\\377')$3\"", "sh", directory, before, after])
        {
            UseShellExecute = false,
        })!;
        shell.WaitForExit();
        shell.ExitCode.Should().Be(0);
    }

    [Test]
    public void Scan_ANameThatIsNotUtf8_IsAClearError_NotASilentOmission()
    {
        using var dir = new TempDirectory("scan-utf8");
        dir.WriteFile("ok.bin", [1]);
        CreateFileWithInvalidUtf8Name(dir.Path, "bad", "name.bin");
        Directory.GetFiles(dir.Path).Should().HaveCount(2);

        var scan = () => WorkingTreeScanner.Scan(dir.Path, IgnoreRules.Load(dir.Path));

        scan.Should().Throw<LmvpException>().WithMessage("*bad*name.bin*not valid UTF-8*.lmvpignore*");
        dir.WriteFile(".lmvpignore", "bad?name.bin\n"u8.ToArray());
        WorkingTreeScanner.Scan(dir.Path, IgnoreRules.Load(dir.Path)).Select(f => f.Path).Should().Equal(".lmvpignore", "ok.bin");
    }
}
