using System.CommandLine;
using System.CommandLine.Parsing;
using Lmvp.Cli.Commands;
using Lmvp.Store;

namespace Lmvp.Cli;

/// <summary>Builds the <c>lmvp</c> command tree and runs it, mapping failures to one-line messages and exit codes.</summary>
internal static class LmvpCommandLine
{
    /// <summary>Success.</summary>
    public const int ExitOk = 0;

    /// <summary>The operation failed (bad data, a missing object, a refused change).</summary>
    public const int ExitFailure = 1;

    /// <summary>The command line was wrong.</summary>
    public const int ExitUsage = 2;

    /// <summary>Interrupted by Ctrl-C.</summary>
    public const int ExitInterrupted = 130;

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("lmvp: version model checkpoints. Commit, compare, push and pull training directories.")
        {
            InitCommand.Create(context),
            StatusCommand.Create(context),
            CommitCommand.Create(context),
            LogCommand.Create(context),
            ShowCommand.Create(context),
            DiffCommand.Create(context),
            CheckoutCommand.Create(context),
            RestoreCommand.Create(context),
            BranchCommand.Create(context),
            TagCommand.Create(context),
            FsckCommand.Create(context),
            GcCommand.Create(context),
            ReflogCommand.Create(context),
            RemoteCommand.Create(context),
            LoginCommand.Create(context),
            PushCommand.Create(context),
            FetchCommand.Create(context),
            PullCommand.Create(context),
            CloneCommand.Create(context),
            GetCommand.Create(context),
            LsFilesCommand.Create(context),
            LsTreeCommand.Create(context),
            ConfigCommand.Create(context),
            AccountCommands.WhoAmI(context),
            AccountCommands.Logout(context),
            CompletionCommand.Create(context),
        };

        // Only the help names people type: "-?", "/?" and "/h" would fill every completion list.
        foreach (var help in root.Options.OfType<System.CommandLine.Help.HelpOption>())
        {
            help.Aliases.Remove("-?");
            help.Aliases.Remove("/?");
            help.Aliases.Remove("/h");
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = Build(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            await context.Error.WriteLineAsync(DescribeParseError(parseResult)).ConfigureAwait(false);
            return ExitUsage;
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            await context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false); // what was printed comes before the error
            await context.Error.WriteLineAsync(message).ConfigureAwait(false);
            if (context.GetEnvironmentVariable("LMVP_TRACE") == "1")
            {
                await context.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }

            return code;
        }
    }

    /// <summary>The one place where failures become exit codes and messages.</summary>
    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException u => (ExitUsage, "error: " + u.Message),
        ArgumentException a => (ExitUsage, "error: " + FirstLine(a.Message.Split(" (Parameter", 2)[0])),
        OperationCanceledException => (ExitInterrupted, "error: interrupted"),
        LmvpException l => (ExitFailure, "error: " + FirstLine(l.Message)),
        IOException io => (ExitFailure, "error: " + FirstLine(io.Message)),
        UnauthorizedAccessException ua => (ExitFailure, "error: " + FirstLine(ua.Message)),
        _ => (ExitFailure, $"error: unexpected {e.GetType().Name}: {FirstLine(e.Message)}"),
    };

    /// <summary>One line for what is wrong with the command line, a "did you mean" when a name is close, and the help of
    /// the command concerned: "error: 'comit' is not an lmvp command; did you mean 'commit'? See 'lmvp --help'."</summary>
    internal static string DescribeParseError(ParseResult parseResult)
    {
        var commandResult = parseResult.CommandResult;
        string message;
        if (parseResult.UnmatchedTokens.Count > 0)
        {
            var token = parseResult.UnmatchedTokens[0];
            var command = commandResult.Command;
            message = token.StartsWith('-') && token.Length > 1 ? UnknownOption(commandResult, token)
                : command.Subcommands.Count > 0 && commandResult.Children.OfType<ArgumentResult>().All(a => a.Tokens.Count == 0) && command.Arguments.Count == 0
                    ? UnknownCommand(commandResult, token)
                    : $"unexpected argument '{token}' for '{CommandPath(commandResult)}'";
        }
        else
        {
            var error = parseResult.Errors[0];
            for (var symbol = error.SymbolResult; symbol is not null; symbol = symbol.Parent)
            {
                if (symbol is CommandResult owner)
                {
                    commandResult = owner;
                    break;
                }
            }

            message = error.Message.TrimEnd('.');
        }

        message = FirstLine(message);
        return $"error: {message}{(message.EndsWith('?') ? "" : ".")} See '{CommandPath(commandResult)} --help'.";
    }

    /// <summary>"unknown option '--onelin' for 'lmvp log'; did you mean '--oneline'?"</summary>
    internal static string UnknownOption(CommandResult commandResult, string token)
    {
        var names = commandResult.Command.Options.SelectMany(o => o.Aliases.Prepend(o.Name));
        var close = Suggestions.Closest(token.Split('=', 2)[0], names);
        return $"unknown option '{token}' for '{CommandPath(commandResult)}'" + (close is null ? "" : $"; did you mean '{close}'?");
    }

    private static string UnknownCommand(CommandResult commandResult, string token)
    {
        var path = CommandPath(commandResult);
        var names = commandResult.Command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
        var what = commandResult.Parent is null ? "an lmvp command" : $"a '{path}' command";
        if (commandResult.Parent is null && token is "add" or "stage")
        {
            return $"'{token}' is not an lmvp command: 'lmvp commit' snapshots every file, there is nothing to add first";
        }

        var close = Suggestions.Closest(token, names);
        return $"'{token}' is not {what}" + (close is null ? "" : $"; did you mean '{close}'?");
    }

    /// <summary>"lmvp remote add" for the command a result belongs to.</summary>
    internal static string CommandPath(CommandResult commandResult)
    {
        var names = new List<string>();
        for (SymbolResult? symbol = commandResult; symbol is not null; symbol = symbol.Parent)
        {
            if (symbol is CommandResult { Parent: not null } c)
            {
                names.Add(c.Command.Name);
            }
        }

        names.Add("lmvp");
        names.Reverse();
        return string.Join(" ", names);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r');
}
