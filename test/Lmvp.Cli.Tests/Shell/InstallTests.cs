using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Shell;

/// <summary>The README's install-only command, run for real: both tools land in the prefix and the printed line puts them on PATH.</summary>
public sealed class InstallTests
{
    [Test]
    public async Task InstallScript_InstallsBothTools_AndPrintsTheOneLineThatPutsThemOnPath()
    {
        var root = RepositoryRoot();
        using var prefix = new TempDirectory("install");
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        var environment = new Dictionary<string, string> { ["LMVP_PREFIX"] = prefix.Path, ["PATH"] = path };

        // --no-build packs what the test run's build made (the suite's own build is Release), so this costs a pack and an install.
        var install = await LmvpProcess.RunProgramAsync("bash", [Path.Combine(root, "install.sh"), "--no-build"], root, environment);

        install.ExitCode.Should().Be(0, install.ToString());
        var bin = Path.Combine(prefix.Path, "bin");
        install.OutLines[^1].Should().Be($"export PATH=\"{bin}:$PATH\"");
        var check = await LmvpProcess.RunProgramAsync("bash",
            ["--norc", "-c", install.OutLines[^1] + "; command -v lmvp; command -v lmvp-server; lmvp --help | head -n 3; lmvp-server --help | head -n 3"],
            prefix.Path, environment);
        check.ExitCode.Should().Be(0, check.ToString());
        check.OutLines[0].Should().Be(Path.Combine(bin, "lmvp"));
        check.OutLines[1].Should().Be(Path.Combine(bin, "lmvp-server"));
        check.Out.Should().Contain("lmvp: version model checkpoints").And.Contain("lmvp-server");

        var again = await LmvpProcess.RunProgramAsync("bash", [Path.Combine(root, "install.sh"), "--no-build"], root,
            new Dictionary<string, string>(environment) { ["PATH"] = bin + ":" + path });
        again.ExitCode.Should().Be(0, again.ToString());
        again.OutLines[^1].Should().Be("both are on your PATH: try 'lmvp --help'");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "install.sh")) && File.Exists(Path.Combine(dir.FullName, "Lmvp.Vcs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("install.sh not found above " + AppContext.BaseDirectory);
    }
}
