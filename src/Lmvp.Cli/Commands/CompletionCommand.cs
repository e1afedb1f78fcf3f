using System.CommandLine;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp completion bash|zsh|fish</c>: a script that completes commands, options, branches and tags by asking
/// lmvp itself (System.CommandLine's <c>[suggest:POSITION]</c> directive), so it never goes stale.</summary>
internal static class CompletionCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script. bash: eval \"$(lmvp completion bash)\" in ~/.bashrc; "
            + "zsh: eval \"$(lmvp completion zsh)\" in ~/.zshrc after compinit; fish: lmvp completion fish > ~/.config/fish/completions/lmvp.fish.") { shell };
        command.SetAction(parseResult =>
        {
            context.Out.Write(parseResult.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Fish,
            });
            return 0;
        });
        return command;
    }

    private const string Bash = """
        # lmvp completion for bash; load it with: eval "$(lmvp completion bash)"
        _lmvp_complete() {
            local IFS=$'\n'
            local line="${COMP_LINE:0:$COMP_POINT}"
            COMPREPLY=($(compgen -W "$(lmvp "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _lmvp_complete lmvp

        """;

    private const string Zsh = """
        # lmvp completion for zsh; load it after compinit with: eval "$(lmvp completion zsh)"
        _lmvp_complete() {
            local line="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=("${(@f)$(lmvp "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -- ${candidates:#}
        }
        (( $+functions[compdef] )) && compdef _lmvp_complete lmvp

        """;

    private const string Fish = """
        # lmvp completion for fish; save it with: lmvp completion fish > ~/.config/fish/completions/lmvp.fish
        function __lmvp_complete
            set -l line (commandline -cp)
            lmvp "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c lmvp -f -a '(__lmvp_complete)'

        """;
}
