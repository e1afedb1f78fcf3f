using System.CommandLine;
using Lmvp.Server.Commands;
using Lmvp.Server.Hosting;

namespace Lmvp.Server;

/// <summary>The <c>lmvp-server</c> command: serve a data directory, or administer it with <c>admin</c> subcommands.</summary>
internal static class ServerCommandLine
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static RootCommand Build(TextWriter output, TextReader input)
    {
        var storage = new StorageOptions();
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, separated by ';' (port 0 picks a free one).",
            DefaultValueFactory = _ => ServerOptions.DefaultUrl,
        };
        var requireSignIn = new Option<bool>("--require-sign-in")
        {
            Description = "Refuse every request without an account (by default public repositories are readable by anyone).",
        };
        var root = new RootCommand("lmvp-server: hosts LMVP repositories for push, fetch and clone, with users, tokens and roles.") { urls, requireSignIn };
        foreach (var option in storage.All)
        {
            root.Options.Add(option);
        }

        root.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = storage.Read(parseResult);
            var options = new ServerOptions
            {
                DataDirectory = settings.DataDirectory,
                Database = settings.Database,
                Packs = settings.Packs,
                Urls = parseResult.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Out = output,
                RequireSignIn = parseResult.GetValue(requireSignIn),
            };
            await using var host = await ServerHost.StartAsync(options, cancellationToken);
            await output.WriteLineAsync($"lmvp-server: listening on {string.Join(", ", host.Urls)} ({settings.Describe()}); "
                + $"API page at {host.Urls[0]}/{ServerApp.ApiDocsPath}");
            await output.FlushAsync(cancellationToken);
            await host.App.WaitForShutdownAsync(cancellationToken);
            return ExitOk;
        });

        var admin = new Command("admin", "Administer the storage directly (works while servers run).");
        foreach (var command in AccountCommands.Build(storage, output, input).Concat(StorageCommands.Build(storage, output)))
        {
            admin.Subcommands.Add(command);
        }

        root.Subcommands.Add(admin);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader input, CancellationToken cancellationToken = default)
    {
        var root = Build(output, input);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var e in parseResult.Errors)
            {
                await error.WriteLineAsync($"error: {e.Message}");
            }

            await error.WriteLineAsync("See 'lmvp-server --help'.");
            return ExitUsage;
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitOk;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitUsage;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException
            or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or Lmvp.Store.LmvpException or Storage.StorageFailedException)
        {
            await error.WriteLineAsync("error: " + e.Message.Split('\n')[0]);
            if (Environment.GetEnvironmentVariable("LMVP_TRACE") == "1")
            {
                await error.WriteLineAsync(e.ToString());
            }

            return ExitFailure;
        }
    }
}
