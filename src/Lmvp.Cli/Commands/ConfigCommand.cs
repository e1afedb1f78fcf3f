using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp config KEY [VALUE]</c>, <c>--unset KEY</c>, <c>--list</c>: the repository's settings, as git config reads and writes them.</summary>
internal static class ConfigCommand
{
    /// <summary>The settings a person sets, with what each means; remote.* and branch.* are kept by remote, push and pull.</summary>
    internal static readonly (string Key, string Meaning, bool IsBoolean)[] Known =
    [
        ("user.name", "the author's name of new commits (before git's user.name)", false),
        ("user.email", "the author's email of new commits (before git's user.email)", false),
        (Repository.IncludeGitTrackedKey, "true: snapshot files git tracks too (default false: git versions them)", true),
        (SyncOptions.RequestBytesConfigKey, "the bytes of chunk data per upload request or download batch (default 16 MiB up, 64 MiB down)", false),
    ];

    public static Command Create(CliContext context)
    {
        var key = new Argument<string?>("key") { Description = "The setting: " + string.Join(", ", Known.Select(k => k.Key)) + ".", Arity = ArgumentArity.ZeroOrOne };
        var value = new Argument<string?>("value") { Description = "The value to set; without it, print the current one (exit 1 when unset).", Arity = ArgumentArity.ZeroOrOne };
        var unset = new Option<bool>("--unset") { Description = "Remove the setting." };
        var list = new Option<bool>("--list", "-l") { Description = "List every setting as KEY=VALUE." };
        var command = new Command("config", "Get, set, unset or list repository settings (user.name, user.email, snapshot.includeGitTracked, ...).") { key, value, unset, list };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            var name = parseResult.GetValue(key);
            if (parseResult.GetValue(list))
            {
                foreach (var (k, v) in repository.ListConfig(""))
                {
                    context.Out.WriteLine($"{k}={v}");
                }

                return 0;
            }

            if (name is null)
            {
                throw new UsageException("config needs a KEY (or --list)");
            }

            if (parseResult.GetValue(unset))
            {
                if (repository.GetConfig(name) is null)
                {
                    return LmvpCommandLine.ExitFailure; // as git: nothing to unset is exit 1 without a message
                }

                repository.UnsetConfig(name);
                return 0;
            }

            if (parseResult.GetValue(value) is not { } newValue)
            {
                if (repository.GetConfig(name) is not { } current)
                {
                    return LmvpCommandLine.ExitFailure;
                }

                context.Out.WriteLine(current);
                return 0;
            }

            repository.SetConfig(name, Validate(name, newValue));
            return 0;
        });
        return command;
    }

    private static string Validate(string name, string value)
    {
        var known = Known.FirstOrDefault(k => k.Key == name);
        if (known.Key is null)
        {
            if (name.StartsWith("remote.", StringComparison.Ordinal) || name.StartsWith("branch.", StringComparison.Ordinal))
            {
                return value;
            }

            var close = Suggestions.Closest(name, Known.Select(k => k.Key));
            throw new UsageException($"unknown setting '{name}'" + (close is null ? $" (known: {string.Join(", ", Known.Select(k => k.Key))})" : $"; did you mean '{close}'?"));
        }

        if (known.IsBoolean)
        {
            return value.Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "on" or "1" => "true",
                "false" or "no" or "off" or "0" => "false",
                _ => throw new UsageException($"{name} is true or false, not '{value}'"),
            };
        }

        return value;
    }
}
