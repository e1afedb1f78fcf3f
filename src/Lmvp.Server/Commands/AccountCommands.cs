using System.CommandLine;
using Lmvp.Server.Auth;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Commands;

/// <summary><c>lmvp-server admin create-user | create-token | create-repo</c>: accounts and repositories, made directly in the
/// storage (works while servers run).</summary>
internal static class AccountCommands
{
    public static IEnumerable<Command> Build(StorageOptions storage, TextWriter output, TextReader input) =>
        [CreateUserCommand(storage, output, input), CreateTokenCommand(storage, output), CreateRepositoryCommand(storage, output)];

    private static Command CreateUserCommand(StorageOptions storage, TextWriter output, TextReader input)
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

            await using var opened = await AdminStorage.OpenMetadataAsync(storage.Read(parseResult), cancellationToken);
            var user = await Accounts.CreateUserAsync(opened.Metadata, userName, password, parseResult.GetValue(isAdmin), cancellationToken);
            await output.WriteLineAsync($"created user {user.Name}{(user.IsAdmin ? " (server admin)" : "")}");
            return ServerCommandLine.ExitOk;
        });
        return command;
    }

    private static Command CreateTokenCommand(StorageOptions storage, TextWriter output)
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

            var settings = storage.Read(parseResult);
            await using var opened = await AdminStorage.OpenMetadataAsync(settings, cancellationToken);
            var userName = parseResult.GetValue(name)!;
            var user = (Api.Names.IsValid(userName) ? await opened.Metadata.Users.FindUserAsync(userName, cancellationToken) : null)
                ?? throw new InvalidOperationException($"no user named '{userName}' ({settings.Describe()})");
            DateTimeOffset? expires = days is { } d ? DateTimeOffset.UtcNow.AddDays(d) : null;
            var (_, token) = await Accounts.CreateTokenAsync(opened.Metadata, user.Id, tokenName, level, expires, cancellationToken);
            await output.WriteLineAsync(token);
            return ServerCommandLine.ExitOk;
        });
        return command;
    }

    private static Command CreateRepositoryCommand(StorageOptions storage, TextWriter output)
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

            var settings = storage.Read(parseResult);
            await using var opened = await AdminStorage.OpenMetadataAsync(settings, cancellationToken);
            var store = opened.Metadata;
            var owner = await store.Users.FindUserAsync(parts[0], cancellationToken)
                ?? throw new InvalidOperationException($"no user named '{parts[0]}' ({settings.Describe()})");
            var created = await store.Repositories.CreateRepositoryAsync(owner.Id, parts[1], !parseResult.GetValue(isPublic), parseResult.GetValue(description)!, cancellationToken)
                ?? throw new InvalidOperationException($"repository {owner.Name}/{parts[1]} already exists");
            await output.WriteLineAsync($"created {(created.IsPrivate ? "private" : "public")} repository {owner.Name}/{created.Name}");
            return ServerCommandLine.ExitOk;
        });
        return command;
    }
}
