using System.CommandLine;
using Lmvp.Server.Auth;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server;

/// <summary>The <c>lmvp-server</c> command: serve a data directory, or administer it with <c>admin</c> subcommands.</summary>
internal static class ServerCommandLine
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static RootCommand Build(TextWriter output, TextReader input)
    {
        var data = new Option<string>("--data", "-d")
        {
            Description = "The data directory (created on first start): SQLite metadata and pack files.",
            Required = true,
            Recursive = true,
        };
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, separated by ';' (port 0 picks a free one).",
            DefaultValueFactory = _ => ServerOptions.DefaultUrl,
        };
        var requireSignIn = new Option<bool>("--require-sign-in")
        {
            Description = "Refuse every request without an account (by default public repositories are readable by anyone).",
        };
        var root = new RootCommand("lmvp-server: hosts LMVP repositories for push, fetch and clone, with users, tokens and roles.") { data, urls, requireSignIn };
        root.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                DataDirectory = parseResult.GetValue(data)!,
                Urls = parseResult.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Out = output,
                RequireSignIn = parseResult.GetValue(requireSignIn),
            };
            await using var host = await ServerHost.StartAsync(options, cancellationToken);
            await output.WriteLineAsync($"lmvp-server: listening on {string.Join(", ", host.Urls)} (data in {Path.GetFullPath(options.DataDirectory)}); "
                + $"API page at {host.Urls[0]}/{ServerApp.ApiDocsPath}");
            await output.FlushAsync(cancellationToken);
            await host.App.WaitForShutdownAsync(cancellationToken);
            return ExitOk;
        });

        var admin = new Command("admin", "Administer the data directory directly (works while the server runs).")
        {
            CreateUserCommand(data, output, input), CreateTokenCommand(data, output), CreateRepositoryCommand(data, output),
            VerifyCommand(data, output),
        };
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
            or Microsoft.Data.Sqlite.SqliteException or Lmvp.Store.LmvpException)
        {
            await error.WriteLineAsync("error: " + e.Message.Split('\n')[0]);
            if (Environment.GetEnvironmentVariable("LMVP_TRACE") == "1")
            {
                await error.WriteLineAsync(e.ToString());
            }

            return ExitFailure;
        }
    }

    private static Command CreateUserCommand(Option<string> data, TextWriter output, TextReader input)
    {
        var name = new Argument<string>("name") { Description = "The new user's name." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input." };
        var isAdmin = new Option<bool>("--admin") { Description = "Make the user a server admin." };
        var command = new Command("create-user", "Create a user (without --password-stdin the user signs in with tokens only).") { name, passwordStdin, isAdmin };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var userName = parseResult.GetValue(name)!;
            if (Accounts.ValidateUserName(userName) is { } nameError)
            {
                throw new UsageException(nameError);
            }

            string? password = null;
            if (parseResult.GetValue(passwordStdin))
            {
                password = await input.ReadLineAsync(cancellationToken);
                if (Passwords.Validate(password) is { } passwordError)
                {
                    throw new UsageException(passwordError);
                }
            }

            var store = OpenStore(parseResult.GetValue(data)!);
            var user = await Accounts.CreateUserAsync(store, userName, password, parseResult.GetValue(isAdmin), cancellationToken);
            await Shell(store).RecordAsync(AuditKinds.UserCreated, null, "lmvp-server admin", Services.AuditTrail.Shell, null, user.Name,
                user.IsAdmin ? "server admin (admin create-user)" : "admin create-user", cancellationToken);
            await output.WriteLineAsync($"created user {user.Name}{(user.IsAdmin ? " (server admin)" : "")}");
            return ExitOk;
        });
        return command;
    }

    private static Command CreateTokenCommand(Option<string> data, TextWriter output)
    {
        var name = new Argument<string>("name") { Description = "The user the token is for." };
        var scope = new Option<string>("--scope")
        {
            Description = "read, write or admin.",
            DefaultValueFactory = _ => "write",
        };
        scope.AcceptOnlyFromAmong("read", "write", "admin");
        var expiresDays = new Option<int?>("--expires-days") { Description = "Expire after this many days (default: never)." };
        var label = new Option<string>("--name") { Description = "A label for the token.", DefaultValueFactory = _ => "cli" };
        var command = new Command("create-token", "Create a personal access token for a user and print it (only this once).") { name, scope, expiresDays, label };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            _ = AccessLevels.TryParse(parseResult.GetValue(scope), out var level);
            var days = parseResult.GetValue(expiresDays);
            if (days is < 1 or > Accounts.MaxExpiryDays)
            {
                throw new UsageException($"--expires-days must be between 1 and {Accounts.MaxExpiryDays}");
            }

            var tokenName = parseResult.GetValue(label)!;
            if (Accounts.ValidateTokenName(tokenName) is { } labelError)
            {
                throw new UsageException(labelError);
            }

            var store = OpenStore(parseResult.GetValue(data)!);
            var userName = parseResult.GetValue(name)!;
            var user = (Api.Names.IsValid(userName) ? await store.Users.FindUserAsync(userName, cancellationToken) : null)
                ?? throw new InvalidOperationException($"no user named '{userName}' in {Path.GetFullPath(parseResult.GetValue(data)!)}");
            DateTimeOffset? expires = days is { } d ? DateTimeOffset.UtcNow.AddDays(d) : null;
            var (record, token) = await Accounts.CreateTokenAsync(store, user.Id, tokenName, level, expires, cancellationToken);
            await Shell(store).TokenCreatedAsync(null, Services.AuditTrail.Shell, user.Name, record, cancellationToken);
            await output.WriteLineAsync(token);
            return ExitOk;
        });
        return command;
    }

    private static Command CreateRepositoryCommand(Option<string> data, TextWriter output)
    {
        var fullName = new Argument<string>("repository") { Description = "OWNER/NAME; the owner must be an existing user." };
        var isPublic = new Option<bool>("--public") { Description = "Readable by every user of the server (default: private)." };
        var description = new Option<string>("--description") { Description = "A one-line description.", DefaultValueFactory = _ => "" };
        var command = new Command("create-repo", "Create a repository owned by a user (the API and the web UI can too).") { fullName, isPublic, description };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var parts = parseResult.GetValue(fullName)!.Split('/');
            if (parts.Length != 2 || !Api.Names.IsValid(parts[0]) || !Api.Names.IsValid(parts[1]))
            {
                throw new UsageException($"'{parseResult.GetValue(fullName)}' is not OWNER/NAME");
            }

            var store = OpenStore(parseResult.GetValue(data)!);
            var owner = await store.Users.FindUserAsync(parts[0], cancellationToken)
                ?? throw new InvalidOperationException($"no user named '{parts[0]}' in {Path.GetFullPath(parseResult.GetValue(data)!)}");
            var created = await store.Repositories.CreateRepositoryAsync(owner.Id, parts[1], !parseResult.GetValue(isPublic), parseResult.GetValue(description)!, cancellationToken)
                ?? throw new InvalidOperationException($"repository {owner.Name}/{parts[1]} already exists");
            await output.WriteLineAsync($"created {(created.IsPrivate ? "private" : "public")} repository {owner.Name}/{created.Name}");
            return ExitOk;
        });
        return command;
    }

    private static Command VerifyCommand(Option<string> data, TextWriter output)
    {
        var repository = new Argument<string?>("repository") { Description = "owner/name to verify (default: every repository).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("verify", "Read back every chunk the refs and recent ref history reach, from the packs, and hash it; name what uses each damaged one; exit 1 if any.")
        {
            repository,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var paths = new ServerPaths(parseResult.GetValue(data)!);
            paths.Create();
            using var storage = await ServerStorage.OpenAsync(paths, TimeProvider.System, cancellationToken: cancellationToken);
            var m = storage.Metadata;
            List<RepositoryRecord> repositories;
            if (parseResult.GetValue(repository) is { } fullName)
            {
                var parts = fullName.Split('/');
                repositories = parts.Length == 2 && await m.Repositories.FindRepositoryAsync(parts[0], parts[1], cancellationToken) is { } one
                    ? [one]
                    : throw new UsageException($"no repository {fullName} in {Path.GetFullPath(paths.DataDirectory)}");
            }
            else
            {
                repositories = [.. (await m.Repositories.ListVisibleRepositoriesAsync(0, isServerAdmin: true, cancellationToken)).Select(r => r.Repository)];
            }

            using var cache = new Services.ObjectCache();
            var verifier = new Services.StorageVerifier(m.Refs, storage.Chunks, new Services.RepositoryGraphs(m.Objects, m.Refs, storage.Chunks, cache));
            var damaged = 0;
            foreach (var repo in repositories)
            {
                var result = await verifier.VerifyAsync(repo, null, cancellationToken);
                foreach (var problem in result.Problems)
                {
                    damaged++;
                    await output.WriteLineAsync($"damaged: {result.Repository}: {problem.Kind.ToString().ToLowerInvariant()} {problem.Id}: {problem.Problem}");
                    foreach (var use in problem.UsedBy)
                    {
                        await output.WriteLineAsync($"  used by {use}");
                    }
                }

                await output.WriteLineAsync($"{result.Repository}: {result.Chunks} chunks ({result.Bytes} bytes) read and hashed, "
                    + (result.Problems.Count == 0 ? "all intact" : $"{result.Problems.Count} damaged or missing"));
            }

            await output.WriteLineAsync(damaged == 0
                ? $"verified {repositories.Count} {(repositories.Count == 1 ? "repository" : "repositories")}: no damage"
                : $"verified {repositories.Count} {(repositories.Count == 1 ? "repository" : "repositories")}: {damaged} damaged or missing; clients are refused those: restore the packs named from a backup");
            return damaged == 0 ? ExitOk : ExitFailure;
        });
        return command;
    }

    /// <summary>The audit trail of a shell command: it writes to the data directory's log as the server would.</summary>
    private static Services.AuditTrail Shell(MetadataStores store) =>
        new(store.Audit, Microsoft.Extensions.Logging.Abstractions.NullLogger<Services.AuditTrail>.Instance);

    private static MetadataStores OpenStore(string dataDirectory)
    {
        var paths = new ServerPaths(dataDirectory);
        paths.Create();
        return Storage.Sqlite.SqliteDatabase.OpenAsync(paths.DataDirectory, TimeProvider.System).GetAwaiter().GetResult().Stores();
    }

    /// <summary>The command line was wrong.</summary>
    private sealed class UsageException(string message) : Exception(message);
}
