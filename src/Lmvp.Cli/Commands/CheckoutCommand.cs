using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp checkout [--force] REV|BRANCH</c> and <c>lmvp checkout -b NEW [START]</c>.</summary>
internal static class CheckoutCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string?>("revision")
        {
            Description = "A branch (HEAD follows it) or any revision (HEAD is detached); with -b, where the new branch starts (default HEAD).",
            Arity = ArgumentArity.ZeroOrOne,
        }.RejectOptionLikeValues().CompleteRevisions(context);
        var newBranch = new Option<string?>("-b") { Description = "Create a branch named NEW at the revision and switch to it.", HelpName = "NEW" };
        var force = new Option<bool>("--force", "-f") { Description = "Discard uncommitted changes to tracked files and overwrite untracked ones in the way." };
        var command = new Command("checkout", "Make the working tree match a branch or commit and move HEAD there.") { revision, newBranch, force };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var rev = parseResult.GetValue(revision);
            var create = parseResult.GetValue(newBranch);
            if (rev is null && create is null)
            {
                throw new UsageException("checkout needs a branch or revision (or -b NEW to create a branch)");
            }

            using var repository = context.OpenRepository();
            var previousBranch = repository.CurrentBranch;
            var previousHead = repository.Head;
            var progress = context.Progress();
            CheckoutResult result;
            if (create is not null)
            {
                repository.CreateBranch(create, rev ?? "HEAD");
                try
                {
                    result = repository.Checkout(create, parseResult.GetValue(force), progress, cancellationToken);
                }
                catch
                {
                    // A refused checkout must not leave the new branch behind, as git does not.
                    if (repository.CurrentBranch != create)
                    {
                        repository.DeleteBranch(create);
                    }

                    throw;
                }
            }
            else
            {
                result = repository.Checkout(rev!, parseResult.GetValue(force), progress, cancellationToken);
            }

            (progress as ProgressPrinter)?.Done();

            // Like git, these notes go to stderr: stdout stays empty for scripts.
            var error = context.Error;
            if (previousBranch is null && previousHead is { } before && before != result.Commit)
            {
                error.WriteLine($"Previous HEAD position was {Describe(repository, before)}");
            }

            if (create is not null)
            {
                error.WriteLine($"Switched to a new branch '{create}'");
            }
            else if (result.Branch is not null)
            {
                error.WriteLine(result.Branch == previousBranch ? $"Already on '{result.Branch}'" : $"Switched to branch '{result.Branch}'");
            }
            else
            {
                if (previousBranch is not null)
                {
                    error.WriteLine($"Note: switching to '{rev}': HEAD is now detached. To keep commits made here, create a branch: lmvp checkout -b NAME");
                }

                error.WriteLine($"HEAD is now at {Describe(repository, result.Commit)}");
            }

            return Task.FromResult(0);
        });
        return command;
    }

    private static string Describe(Repository repository, ObjectId id) => $"{id.ToShortString()} {repository.GetCommit(id).Subject}";
}
