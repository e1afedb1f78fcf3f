using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp log [REV] [--oneline] [-n N] [--sort METRIC [--reverse]] [--best METRIC] [--json]</c>: history with metrics,
/// params and provenance, newest first or ranked by a metric.</summary>
internal static class LogCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "Where to start (default HEAD).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "HEAD" }.RejectOptionLikeValues().CompleteRevisions(context);
        var oneline = new Option<bool>("--oneline") { Description = "One line per commit." };
        var max = new Option<int?>("--max-count", "-n") { Description = "Show at most N commits." };
        var sort = new Option<string?>("--sort") { Description = "Rank by a metric, best first (loss-like names: lowest; acc, f1, auc, score...: highest); NaN, inf and commits without it go last.", HelpName = "METRIC" };
        var best = new Option<string?>("--best") { Description = "Show only the best commit by a metric (as --sort METRIC -n 1).", HelpName = "METRIC" };
        var better = new Option<string?>("--better") { Description = "Override which way is better for --sort and --best: higher or lower.", HelpName = "higher|lower" };
        better.AcceptOnlyFromAmong("higher", "lower");
        var reverse = new Option<bool>("--reverse") { Description = "Oldest first; with --sort, worst first (NaN and missing values still last)." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts (NaN and Infinity as Python's json writes them)." };
        var command = new Command("log", "Show the commit history with metrics, params and the training code's git commit.") { revision, oneline, max, sort, best, better, reverse, json };
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

            var rankBy = parseResult.GetValue(best) ?? parseResult.GetValue(sort);
            if (parseResult.GetValue(best) is not null && parseResult.GetValue(sort) is not null)
            {
                throw new UsageException("--best and --sort cannot be used together (--best METRIC is --sort METRIC -n 1)");
            }

            IEnumerable<Commit> history = repository.Log(rev);
            if (rankBy is not null)
            {
                var higher = parseResult.GetValue(better) is { } b ? b == "higher" : MetricValues.HigherIsBetter(rankBy);
                history = Rank(history.ToList(), rankBy, higher ^ parseResult.GetValue(reverse));
                limit = parseResult.GetValue(best) is not null ? 1 : limit;
            }
            else if (parseResult.GetValue(reverse))
            {
                history = history.Reverse();
            }

            var commits = history.Take(limit ?? int.MaxValue);
            var decorations = Decorations(repository);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(commits.Select(c => ToJson(c, decorations))));
                return 0;
            }

            if (rev == "HEAD" && rankBy is null && !parseResult.GetValue(oneline) && UpstreamSentence(repository) is { } upstream)
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

                if (c.Params.Count > 0)
                {
                    context.Out.WriteLine($"Params:  {Format.Params(c.Params)}");
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

    /// <summary>Commits best first by <paramref name="metric"/>; NaN and infinities after the finite values, then commits without it;
    /// ties keep history order.</summary>
    internal static List<Commit> Rank(List<Commit> history, string metric, bool higherIsBetter)
    {
        var values = history.Select(c => c.Metrics.FirstOrDefault(m => m.Key == metric) is { Key: not null } m ? m.Value : (double?)null).ToList();
        if (values.All(v => v is null))
        {
            var names = history.SelectMany(c => c.Metrics.Select(m => m.Key)).Distinct(StringComparer.Ordinal).ToList();
            var hint = Suggestions.Closest(metric, names) is { } close ? $"; did you mean '{close}'?" : names.Count == 0 ? "; no commit has metrics" : "";
            throw new UsageException($"no commit in this history has the metric '{metric}'{hint}");
        }

        var order = Enumerable.Range(0, history.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var (va, vb) = (values[a], values[b]);
            var c = va is null || vb is null ? (va is null).CompareTo(vb is null) : MetricValues.CompareBestFirst(va.Value, vb.Value, higherIsBetter);
            return c != 0 ? c : a.CompareTo(b);
        });
        return [.. order.Select(i => history[i])];
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

    internal static CommitJsonEntry ToJson(Commit c, IReadOnlyDictionary<ObjectId, List<string>>? decorations = null) => new(
        c.Id.ToString(),
        c.Id.ToShortString(),
        c.TreeId.ToString(),
        c.Parents.Select(p => p.ToString()),
        c.Author,
        c.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        c.Message,
        JsonOptions.Metrics(c.Metrics),
        JsonOptions.Params(c.Params),
        c.Provenance is not { } p ? null : new ProvenanceJson(p.GitCommit, p.Branch, p.IsDirty, p.DirtyFiles, p.OriginUrl),
        decorations is not null && decorations.TryGetValue(c.Id, out var names) ? names : []);
}

/// <summary>One commit of <c>lmvp log --json</c> (and the commit of <c>lmvp show --json</c>).</summary>
internal sealed record CommitJsonEntry(
    string Id, string ShortId, string Tree, IEnumerable<string> Parents, string Author, string Time, string Message, Dictionary<string, double> Metrics,
    Dictionary<string, ParamValue> Params, ProvenanceJson? Provenance, List<string> Refs);

/// <summary>The training code's git state recorded with a commit.</summary>
internal sealed record ProvenanceJson(string GitCommit, string? Branch, bool Dirty, IReadOnlyList<string> DirtyFiles, string? OriginUrl);
