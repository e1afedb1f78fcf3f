using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp init [DIR]</c>: make a directory a repository.</summary>
internal static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var directory = new Argument<string>("directory") { Description = "The training directory (default: the current one).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var command = new Command("init", "Create an empty lmvp repository in a training directory.") { directory };
        command.SetAction(parseResult =>
        {
            using var repository = Repository.Init(context.FullPath(parseResult.GetValue(directory)!));
            context.Out.WriteLine($"Initialized empty lmvp repository in {repository.RepositoryDirectory}");
            return 0;
        });
        return command;
    }
}
