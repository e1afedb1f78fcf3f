using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp branch [-a|-r]</c>: list; <c>NAME [START]</c> create; <c>-d NAME...</c> delete; <c>-m [OLD] NEW</c> rename.</summary>
internal static class BranchCommand
{
    public static Command Create(CliContext context)
    {
        var names = new Argument<string[]>("name") { Description = "NAME [START] to create; the branches to delete with -d; [OLD] NEW with -m.", Arity = ArgumentArity.ZeroOrMore };
        var delete = new Option<bool>("--delete", "-d") { Description = "Delete branches (refused when not merged into HEAD, unless --force)." };
        var deleteForce = new Option<bool>("-D") { Description = "Delete branches even when not merged (same as -d --force)." };
        var move = new Option<bool>("--move", "-m") { Description = "Rename a branch: -m [OLD] NEW (OLD defaults to the current branch)." };
        var force = new Option<bool>("--force", "-f") { Description = "Create or rename over an existing branch; delete an unmerged branch." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also show each branch tip's metrics when listing." };
        var all = new Option<bool>("--all", "-a") { Description = "List local and remote-tracking branches (remotes/origin/main)." };
        var remotes = new Option<bool>("--remotes", "-r") { Description = "List the remote-tracking branches (origin/main)." };
        var json = new Option<bool>("--json") { Description = "List as JSON for scripts." };
        var command = new Command("branch", "List, create, delete or rename branches.") { names, delete, deleteForce, move, force, verbose, all, remotes, json };
        command.SetAction(parseResult =>
        {
            var args = parseResult.GetValue(names) ?? [];
            var isDelete = parseResult.GetValue(delete) || parseResult.GetValue(deleteForce);
            var isMove = parseResult.GetValue(move);
            var isForce = parseResult.GetValue(force) || parseResult.GetValue(deleteForce);
            if (isDelete && isMove)
            {
                throw new UsageException("--delete and --move cannot be used together");
            }

            using var repository = context.OpenRepository();
            if (isDelete)
            {
                if (args.Length == 0)
                {
                    throw new UsageException("branch -d needs the name of a branch to delete");
                }

                foreach (var name in args)
                {
                    Delete(repository, name, isForce, context);
                }

                return 0;
            }

            if (isMove)
            {
                Rename(repository, args, isForce);
                return 0;
            }

            switch (args.Length)
            {
                case 0:
                    var which = parseResult.GetValue(all) ? Listing.All : parseResult.GetValue(remotes) ? Listing.Remotes : Listing.Local;
                    List(repository, which, parseResult.GetValue(verbose), parseResult.GetValue(json), context);
                    return 0;
                case 1 or 2:
                    repository.CreateBranch(args[0], args.Length == 2 ? args[1] : "HEAD", isForce);
                    return 0;
                default:
                    throw new UsageException("branch takes NAME [START] to create a branch");
            }
        });
        return command;
    }

    private static void Delete(Repository repository, string name, bool force, CliContext context)
    {
        var deleted = repository.DeleteBranch(name, force);
        context.Out.WriteLine($"Deleted branch {name} (was {deleted.Old!.Value.ToShortString()}).");

        // Its commits stay for the reflog's expiry, so the one command that undoes this is worth printing.
        var expiry = repository.ReflogExpiry();
        var kept = expiry == TimeSpan.MaxValue ? "until the reflog is pruned" : $"for {expiry.TotalDays:0} days (gc.reflogExpire)";
        context.Error.WriteLine($"hint: to get it back: lmvp branch {name} {deleted.Old!.Value}");
        context.Error.WriteLine($"hint: its commits are kept {kept}; 'lmvp reflog {name}' lists where it pointed");
    }

    private static void Rename(Repository repository, string[] args, bool force)
    {
        var (oldName, newName) = args.Length switch
        {
            1 => (repository.CurrentBranch ?? throw new DetachedHeadException("HEAD is detached: name the branch to rename (lmvp branch -m OLD NEW)."), args[0]),
            2 => (args[0], args[1]),
            _ => throw new UsageException("branch -m takes [OLD] NEW"),
        };
        repository.RenameBranch(oldName, newName, force);
    }

    private enum Listing
    {
        Local,
        Remotes,
        All,
    }

    private static void List(Repository repository, Listing which, bool verbose, bool json, CliContext context)
    {
        var branches = which == Listing.Remotes ? [] : repository.ListBranches();
        var tracking = which == Listing.Local ? [] : repository.ListRefs(RefName.RemotesPrefix)
            .Select(r => (Name: r.Key[RefName.RemotesPrefix.Length..], Target: r.Value)).ToList();
        var detached = repository.CurrentBranch is null && which != Listing.Remotes ? repository.Head : null;
        if (json)
        {
            BranchJson Row(string name, bool current, bool remote, ObjectId target)
            {
                var commit = repository.GetCommit(target);
                return new BranchJson(name, current, remote, target.ToString(), commit.Subject, JsonOptions.Metrics(commit.Metrics));
            }

            var rows = branches.Select(b => Row(b.Name, b.IsCurrent, false, b.Target)).Concat(tracking.Select(t => Row(t.Name, false, true, t.Target))).ToList();
            context.Out.WriteLine(JsonOptions.Serialize(new BranchListJson(detached?.ToString(), rows)));
            return;
        }

        var lines = new List<(string Marker, string Name, ObjectId Target)>();
        if (detached is { } d)
        {
            lines.Add(("* ", $"(HEAD detached at {d.ToShortString()})", d));
        }

        lines.AddRange(branches.Select(b => (b.IsCurrent ? "* " : "  ", b.Name, b.Target)));
        lines.AddRange(tracking.Select(t => ("  ", which == Listing.All ? "remotes/" + t.Name : t.Name, t.Target)));
        WriteRefLines(repository, lines, verbose, context);
    }

    /// <summary>"* name  0123456789ab subject  [loss=0.4]" with names padded to one column.</summary>
    internal static void WriteRefLines(Repository repository, IReadOnlyList<(string Marker, string Name, ObjectId Target)> lines, bool verbose, CliContext context)
    {
        var width = lines.Count == 0 ? 0 : lines.Max(l => l.Name.Length);
        foreach (var (marker, name, target) in lines)
        {
            var commit = repository.GetCommit(target);
            var metrics = verbose && commit.Metrics.Count > 0 ? $"  [{Format.Metrics(commit.Metrics)}]" : "";
            context.Out.WriteLine($"{marker}{name.PadRight(width)}  {target.ToShortString()} {commit.Subject}{metrics}");
        }
    }
}

/// <summary>What <c>lmvp branch --json</c> prints.</summary>
internal sealed record BranchListJson(string? DetachedHead, List<BranchJson> Branches);

/// <summary>One branch (local or remote-tracking) of <c>lmvp branch --json</c>.</summary>
internal sealed record BranchJson(string Name, bool Current, bool Remote, string Id, string Subject, Dictionary<string, double> Metrics);
