using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary>Shell completion of revisions: branches, tags, remote-tracking branches and HEAD of the repository at hand.</summary>
internal static class RevisionCompletions
{
    /// <summary>Completes <paramref name="argument"/> with the names of the working directory's repository (none outside one).</summary>
    public static T CompleteRevisions<T>(this T argument, CliContext context)
        where T : Argument
    {
        // Without a help name, help lists an argument's completions as its name (<HEAD|main|...>): every --help would open the
        // repository once per such argument, and the text would grow with the branches.
        argument.HelpName ??= argument.Name;
        argument.CompletionSources.Add(_ =>
        {
            try
            {
                using var repository = context.OpenRepository();
                return [
                    "HEAD",
                    .. repository.ListBranches().Select(b => b.Name),
                    .. repository.ListTags().Select(t => t.Key),
                    .. repository.ListRefs(RefName.RemotesPrefix).Select(r => r.Key[RefName.RemotesPrefix.Length..]),
                ];
            }
            catch (LmvpException)
            {
                return [];
            }
        });
        return argument;
    }
}
