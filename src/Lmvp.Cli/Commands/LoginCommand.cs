using System.CommandLine;
using System.Text;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp login SERVER [--token-stdin]</c>: check a token with the server and save it (mode 0600) for later pushes and pulls.</summary>
internal static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Argument<string>("server") { Description = "The server's base URL, e.g. http://127.0.0.1:8080." }.RejectOptionLikeValues();
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the token from standard input instead of a prompt." };
        var command = new Command("login", "Save a personal access token for a server (from a prompt, --token-stdin, or LMVP_TOKEN). The token is never printed.") { server, tokenStdin };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string normalized;
            try
            {
                normalized = CredentialStore.NormalizeServer(parseResult.GetValue(server)!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            var token = ReadToken(context, normalized, parseResult.GetValue(tokenStdin));
            var credentials = SyncCommandSupport.Credentials(context);
            Lmvp.Store.Protocol.CurrentUserResponse user;
            try
            {
                user = await ServerClient.GetUserAsync(normalized, token, new SyncOptions(), cancellationToken);
            }
            catch (AuthenticationFailedException e)
            {
                throw new LmvpException($"{normalized} rejected the token (unknown, expired or revoked); nothing was saved.", e);
            }

            credentials.SaveToken(normalized, token);
            var scope = string.IsNullOrEmpty(user.Scope) ? "" : $" (token scope: {user.Scope})";
            context.Out.WriteLine($"Logged in to {normalized} as {user.Username}{scope}; token saved in {credentials.FilePath}");
            if (credentials.EnvironmentToken is not null && credentials.EnvironmentToken != token)
            {
                context.Error.WriteLine($"warning: {CredentialStore.TokenVariable} is set and overrides the saved token.");
            }

            return 0;
        });
        return command;
    }

    private static string ReadToken(CliContext context, string server, bool fromStdin)
    {
        string? token;
        if (fromStdin)
        {
            token = Console.In.ReadToEnd();
        }
        else if (context.GetEnvironmentVariable(CredentialStore.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            token = fromEnvironment;
        }
        else if (!Console.IsInputRedirected && context.ErrorIsTerminal)
        {
            context.Error.Write($"Token for {server}: ");
            token = ReadHidden();
            context.Error.WriteLine();
        }
        else
        {
            throw new UsageException($"no token: pipe it with --token-stdin, or set {CredentialStore.TokenVariable}");
        }

        token = token?.Trim();
        return string.IsNullOrEmpty(token) ? throw new UsageException("the token is empty") : token;
    }

    /// <summary>Reads a line from the terminal without echoing it.</summary>
    private static string ReadHidden()
    {
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
