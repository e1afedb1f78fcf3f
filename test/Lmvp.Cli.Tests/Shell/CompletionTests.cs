using Lmvp.Cli.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Shell;

/// <summary><c>lmvp completion bash|zsh|fish</c> loaded into the real shells, which ask the real lmvp binary.</summary>
public sealed class CompletionTests
{
    private readonly TempDirectory _bin = new("completion-bin");

    [OneTimeSetUp]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void WriteShim() => LmvpProcess.WriteShim(_bin.Path);

    [OneTimeTearDown]
    public void RemoveShim() => _bin.Dispose();

    private Dictionary<string, string> Environment() => new() { ["PATH"] = _bin.Path + ":" + System.Environment.GetEnvironmentVariable("PATH") };

    [Test]
    public async Task Bash_CompletesCommandsOptionsAndBranches()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("one");
        await repo.RunOkAsync("branch", "experiment-7");

        (await BashAsync(repo.Root, "lmvp com")).Should().Equal("commit", "completion");
        (await BashAsync(repo.Root, "lmvp log --on")).Should().Equal("--oneline");
        (await BashAsync(repo.Root, "lmvp checkout exp")).Should().Equal("experiment-7");
    }

    [Test]
    public async Task Zsh_CompletesCommandsAndBranches()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("one");
        await repo.RunOkAsync("branch", "experiment-7");

        // compadd exists only inside a completion widget: a stand-in prints what the function would offer.
        var script = "compadd() { [[ $1 == -- ]] && shift; print -l -- \"$@\" }; eval \"$(lmvp completion zsh)\"; "
            + "words=(lmvp checkout exp); CURRENT=3; _lmvp_complete; words=(lmvp sta); CURRENT=2; _lmvp_complete";
        var result = await LmvpProcess.RunProgramAsync("zsh", ["-f", "-c", script], repo.Root, Environment());

        result.ExitCode.Should().Be(0, result.ToString());
        result.OutLines.Should().Equal("experiment-7", "status");
    }

    [Test]
    public async Task Fish_CompletesCommands()
    {
        using var repo = await CliRepository.InitAsync();
        var script = "lmvp completion fish | source; complete -C 'lmvp sta'; complete -C 'lmvp log --onel'";
        var result = await LmvpProcess.RunProgramAsync("fish", ["--no-config", "-c", script], repo.Root,
            new Dictionary<string, string>(Environment()) { ["HOME"] = repo.Root, ["XDG_CONFIG_HOME"] = repo.Root });

        result.ExitCode.Should().Be(0, result.ToString());
        result.OutLines.Select(l => l.Split('\t')[0]).Should().Equal("status", "--oneline");
    }

    [Test]
    public async Task Completion_UnknownShell_IsAUsageError()
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync("completion", "powershell");
        result.ExitCode.Should().Be(LmvpCommandLine.ExitUsage);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("powershell").And.EndWith("See 'lmvp completion --help'.");
    }

    /// <summary>What bash's completion of <paramref name="line"/> (cursor at its end) offers.</summary>
    private async Task<string[]> BashAsync(string directory, string line)
    {
        var script = "eval \"$(lmvp completion bash)\"; COMP_LINE=\"$LINE\"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<< \"$LINE\"; "
            + "[[ $LINE == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _lmvp_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";
        var result = await LmvpProcess.RunProgramAsync("bash", ["--norc", "--noprofile", "-c", script], directory,
            new Dictionary<string, string>(Environment()) { ["LINE"] = line });
        result.ExitCode.Should().Be(0, result.ToString());
        return result.OutLines;
    }
}
