using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp whoami [SERVER]</c> and <c>lmvp logout [SERVER]</c>; the server defaults to origin's, else the only one logged in to.</summary>
internal static class AccountCommands
{
    public static Command WhoAmI(CliContext context)
    {
        var server = ServerArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("whoami", "Show whom the server knows your token as (the token from LMVP_TOKEN, else the one saved by lmvp login).") { server, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var credentials = SyncCommandSupport.Credentials(context);
            var target = ResolveServer(context, credentials, parseResult.GetValue(server));
            var source = credentials.EnvironmentToken is not null ? CredentialStore.TokenVariable : "lmvp login";
            var token = credentials.GetToken(target)
                ?? throw new AuthenticationFailedException($"not logged in to {target}: run 'lmvp login {target}' (or set {CredentialStore.TokenVariable})");
            Lmvp.Store.Protocol.CurrentUserResponse user;
            try
            {
                user = await ServerClient.GetUserAsync(target, token, new SyncOptions(), cancellationToken);
            }
            catch (AuthenticationFailedException e)
            {
                throw new AuthenticationFailedException(credentials.EnvironmentToken is not null
                    ? $"{target} rejected the token in {CredentialStore.TokenVariable} (unknown, expired or revoked); set a valid one, or unset it to use the saved login"
                    : $"{target} rejected the token saved for it (unknown, expired or revoked); run 'lmvp login {target}' again", e);
            }

            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new WhoAmIJson(target, user.Username, user.Scope, user.IsAdmin, source)));
                return 0;
            }

            var scope = string.IsNullOrEmpty(user.Scope) ? "" : $", scope {user.Scope}";
            context.Out.WriteLine($"{user.Username} on {target} (token from {source}{scope})");
            return 0;
        });
        return command;
    }

    public static Command Logout(CliContext context)
    {
        var server = ServerArgument();
        var command = new Command("logout", "Forget the token saved for a server by lmvp login.") { server };
        command.SetAction(parseResult =>
        {
            var credentials = SyncCommandSupport.Credentials(context);
            var target = ResolveServer(context, credentials, parseResult.GetValue(server));
            if (!credentials.RemoveToken(target))
            {
                throw new ObjectNotFoundException($"No token is saved for {target} (see 'lmvp whoami').");
            }

            context.Out.WriteLine($"Logged out of {target}; its token was removed from {credentials.FilePath}");
            if (credentials.EnvironmentToken is not null)
            {
                context.Error.WriteLine($"warning: {CredentialStore.TokenVariable} is still set and is still sent to every server.");
            }

            return 0;
        });
        return command;
    }

    private static Argument<string?> ServerArgument() =>
        new Argument<string?>("server") { Description = "The server's base URL (default: origin's server, else the only server logged in to).", Arity = ArgumentArity.ZeroOrOne }
            .RejectOptionLikeValues();

    /// <summary>The server named, else the current repository's origin's, else the only one with a saved token.</summary>
    private static string ResolveServer(CliContext context, CredentialStore credentials, string? given)
    {
        if (given is not null)
        {
            try
            {
                return CredentialStore.NormalizeServer(given);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
        }

        try
        {
            using var repository = context.OpenRepository();
            if (repository.ListRemotes().FirstOrDefault(r => r.Name == Repository.DefaultRemote) is { } origin)
            {
                return ServerOf(origin.Url);
            }
        }
        catch (RepositoryNotFoundException)
        {
            // Outside a repository: the saved servers decide.
        }

        var servers = credentials.ListServers();
        return servers.Count switch
        {
            1 => servers[0],
            0 => throw new UsageException("name the server (not logged in to any, and no remote 'origin' here)"),
            _ => throw new UsageException($"name the server: logged in to {string.Join(", ", servers)}"),
        };
    }

    /// <summary>http://host:8080/prefix/owner/name → http://host:8080/prefix.</summary>
    private static string ServerOf(string repositoryUrl)
    {
        var trimmed = repositoryUrl.TrimEnd('/');
        for (var i = 0; i < 2; i++)
        {
            trimmed = trimmed[..trimmed.LastIndexOf('/')];
        }

        return CredentialStore.NormalizeServer(trimmed);
    }
}

/// <summary>What <c>lmvp whoami --json</c> prints.</summary>
internal sealed record WhoAmIJson(string Server, string Username, string Scope, bool Admin, string TokenFrom);
