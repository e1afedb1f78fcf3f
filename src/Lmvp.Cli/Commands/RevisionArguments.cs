using System.CommandLine;
using System.CommandLine.Parsing;

namespace Lmvp.Cli.Commands;

/// <summary>Checks shared by the commands that take revisions.</summary>
internal static class RevisionArguments
{
    /// <summary>Makes a misspelt option (<c>lmvp log --onelin</c>) a usage error instead of an unknown revision.</summary>
    /// <remarks>System.CommandLine hands an unknown option to a positional argument that can still take a value.
    /// No revision starts with '-' (ref names may not), so such a value is always a mistyped option.</remarks>
    public static T RejectOptionLikeValues<T>(this T argument)
        where T : Argument
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.Length > 1 && token.Value[0] == '-')
                {
                    result.AddError(result.Parent is CommandResult command
                        ? LmvpCommandLine.UnknownOption(command, token.Value)
                        : $"unknown option '{token.Value}'");
                }
            }
        });
        return argument;
    }
}
