using System.CommandLine;
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
            RemoteCommand.Create(context),
            LoginCommand.Create(context),
            PushCommand.Create(context),
            FetchCommand.Create(context),
            PullCommand.Create(context),
            CloneCommand.Create(context),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = Build(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await context.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync("See 'lmvp --help'.").ConfigureAwait(false);
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

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r');
}
