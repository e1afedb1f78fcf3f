using System.CommandLine;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp log [REV] [--oneline] [-n N] [--json]</c>: history with metrics and provenance.</summary>
internal static class LogCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "Where to start (default HEAD).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "HEAD" }.RejectOptionLikeValues();
        var oneline = new Option<bool>("--oneline") { Description = "One line per commit." };
        var max = new Option<int?>("--max-count", "-n") { Description = "Show at most N commits." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("log", "Show the commit history with metrics and the training code's git commit.") { revision, oneline, max, json };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            var rev = parseResult.GetValue(revision)!;
            if (rev == "HEAD" && repository.Head is null)
            {
                throw new LmvpException($"Your current branch '{repository.CurrentBranch}' does not have any commits yet.");
            }

            var limit = parseResult.GetValue(max);
            if (limit is < 0)
            {
                throw new UsageException("-n must not be negative");
            }

            var commits = repository.Log(rev).Take(limit ?? int.MaxValue);
            var decorations = Decorations(repository);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(commits.Select(c => ToJson(c, decorations)), JsonOptions.Default));
                return 0;
            }

            if (rev == "HEAD" && !parseResult.GetValue(oneline) && UpstreamSentence(repository) is { } upstream)
            {
                context.Out.WriteLine(upstream);
                context.Out.WriteLine();
            }

            var first = true;
            foreach (var c in commits)
            {
                var refs = decorations.TryGetValue(c.Id, out var names) ? $" ({string.Join(", ", names)})" : "";
                if (parseResult.GetValue(oneline))
                {
                    var metrics = c.Metrics.Count > 0 ? "  " + Format.Metrics(c.Metrics) : "";
                    context.Out.WriteLine($"{c.Id.ToShortString()}{refs} {c.Subject}{metrics}");
                    continue;
                }

                if (!first)
                {
                    context.Out.WriteLine();
                }

                first = false;
                context.Out.WriteLine($"commit {c.Id}{refs}");
                if (c.Parents.Count > 1)
                {
                    context.Out.WriteLine("Merge:   " + string.Join(" ", c.Parents.Select(p => p.ToShortString())));
                }

                context.Out.WriteLine($"Author:  {c.Author}");
                context.Out.WriteLine($"Date:    {Format.Time(c.Time)}");
                if (c.Metrics.Count > 0)
                {
                    context.Out.WriteLine($"Metrics: {Format.Metrics(c.Metrics)}");
                }

                if (c.Provenance is { } p)
                {
                    context.Out.WriteLine($"Code:    {Format.Provenance(p)}");
                }

                context.Out.WriteLine();
                foreach (var line in c.Message.TrimEnd().Split('\n'))
                {
                    context.Out.WriteLine("    " + line);
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>Where the current branch stands against its upstream (branch.NAME.remote), in git status's words; null without one.</summary>
    internal static string? UpstreamSentence(Repository repository)
    {
        var branch = repository.CurrentBranch;
        if (branch is null || repository.Head is not { } head || repository.GetConfig($"branch.{branch}.remote") is not { } remote
            || repository.GetRef(RefName.RemoteTracking(remote, branch).FullName) is not { } upstream)
        {
            return null;
        }

        var name = $"'{remote}/{branch}'";
        var (ahead, behind) = repository.CountAheadBehind(head, upstream);
        static string Commits(int n) => n == 1 ? "1 commit" : $"{n} commits";
        return (ahead, behind) switch
        {
            (0, 0) => $"Your branch is up to date with {name}.",
            (_, 0) => $"Your branch is ahead of {name} by {Commits(ahead)}.",
            (0, _) => $"Your branch is behind {name} by {Commits(behind)}, and can be fast-forwarded.",
            _ => $"Your branch and {name} have diverged, and have {ahead} and {behind} different commits each, respectively.",
        };
    }

    /// <summary>Ref names per commit, as git log decorates them: HEAD -> main, tag: v1, origin/main.</summary>
    internal static Dictionary<ObjectId, List<string>> Decorations(Repository repository)
    {
        var map = new Dictionary<ObjectId, List<string>>();
        void Add(ObjectId id, string name)
        {
            if (!map.TryGetValue(id, out var list))
            {
                map[id] = list = [];
            }

            list.Add(name);
        }

        var current = repository.CurrentBranch;
        if (repository.Head is { } head && current is null)
        {
            Add(head, "HEAD");
        }

        foreach (var b in repository.ListBranches())
        {
            Add(b.Target, b.IsCurrent ? $"HEAD -> {b.Name}" : b.Name);
        }

        foreach (var r in repository.ListRefs(RefName.RemotesPrefix))
        {
            Add(r.Value, r.Key[RefName.RemotesPrefix.Length..]);
        }

        foreach (var t in repository.ListTags())
        {
            Add(t.Value, $"tag: {t.Key}");
        }

        return map;
    }

    internal static object ToJson(Commit c, IReadOnlyDictionary<ObjectId, List<string>>? decorations = null) => new
    {
        id = c.Id.ToString(),
        shortId = c.Id.ToShortString(),
        tree = c.TreeId.ToString(),
        parents = c.Parents.Select(p => p.ToString()),
        author = c.Author,
        time = c.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        message = c.Message,
        metrics = c.Metrics.ToDictionary(m => m.Key, m => m.Value),
        provenance = c.Provenance is null ? null : new { gitCommit = c.Provenance.GitCommit, branch = c.Provenance.Branch, dirty = c.Provenance.IsDirty, originUrl = c.Provenance.OriginUrl },
        refs = decorations is not null && decorations.TryGetValue(c.Id, out var names) ? names : [],
    };
}
